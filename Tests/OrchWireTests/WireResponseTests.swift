import Testing
import OrchWire

/// What `orch-hook` reads from the server and from the clone's ref files: whatever it is sent, it parses or gives
/// nil, never traps.
@Suite struct WireResponseTests {
    static func parse(_ text: String) -> WireResponse? { WireResponse(Array(text.utf8)) }

    @Test func aReplyByLengthChunkedOrToTheEnd() {
        let sized = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nOrch-Mirror: a b -\r\n\r\nhello, and more")
        #expect(sized?.status == 200 && sized?.body == Array("hello".utf8) && sized?.headers["orch-mirror"] == "a b -")
        let chunked = Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n")
        #expect(chunked?.body == Array("hello world".utf8))
        #expect(Self.parse("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\nno")?.body == Array("no".utf8))
        #expect(Self.parse("HTTP/1.0 204 No Content\r\n\r\n")?.status == 204)
    }

    @Test func anythingElseIsNilNeverATrap() {
        for text in ["", "HTTP/1.1 200 OK\r\n", "garbage\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "SSH-2.0 x\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                     "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nbody",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nx\r\n0\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nx\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"] {
            #expect(Self.parse(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func packedRefsGiveTheRefsOwnLineOnly() {
        let sha1 = String(repeating: "a", count: 40)
        let sha256 = String(repeating: "b", count: 64)
        let packed = """
            # pack-refs with: peeled fully-peeled sorted
            \(sha1) refs/heads/orch/worker-1
            ^\(String(repeating: "c", count: 40))
            \(sha256) refs/remotes/origin/orch/worker-1
            \(String(repeating: "d", count: 40)) refs/heads/orch/worker-10
            """
        #expect(HookWire.packedRef("refs/heads/orch/worker-1", in: packed) == sha1)
        #expect(HookWire.packedRef("refs/remotes/origin/orch/worker-1", in: packed) == sha256)
        #expect(HookWire.packedRef("refs/heads/orch/worker-2", in: packed) == nil)
        #expect(HookWire.packedRef("^\(String(repeating: "c", count: 40))", in: packed) == nil)
        #expect(!HookWire.isObjectID("ref: refs/heads/main") && !HookWire.isObjectID(String(repeating: "A", count: 40)))
    }

    @Test func theMirrorAndTheURLAreSpelledOnce() {
        #expect(HookWire.mirror(branch: "a", target: "b", upstream: nil) == "a b -")
        #expect(HookWire.parse(url: "http://[::1]:7431/")! == ("::1", 7431))
        #expect(HookWire.parse(url: "http://172.17.0.1:80")! == ("172.17.0.1", 80))
        for bad in ["https://h:1", "http://h", "http://h:0", "http://h:70000", "http://a b:1", "http://user@h:1"] {
            #expect(HookWire.parse(url: bad) == nil, "\(bad)")
        }
    }
}
