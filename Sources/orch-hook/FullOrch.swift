#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OrchWire

/// Hands the hook over to the full `orch` beside this executable (the image's
/// `/usr/local/bin/orch`), replacing this process: its stdout is the hook's.
enum FullOrch {
    /// Execs `orch ARGUMENTS`, with `input` as its stdin when given. Returns only when that
    /// failed (said on stderr): the caller then goes on the fast way.
    static func exec(_ arguments: [String], input: [UInt8]? = nil) {
        if let input, !redirectStandardInput(to: input) {
            Output.warn("cannot hand the reply to orch (no writable /tmp); the clone keeps its branch as it is")
            return
        }
        let path = location()
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, &argv)
        Output.warn("cannot run \(path): \(String(cString: strerror(errno)))")
        for pointer in argv { free(pointer) }
    }

    /// `orch` in this executable's folder.
    static func location() -> String {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var me = length > 0 ? String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        #else
        var me = CommandLine.arguments[0]
        #endif
        if !me.contains("/") { me = "/usr/local/bin/orch-hook" }
        return String(me[..<me.lastIndex(of: "/")!]) + "/" + HookWire.orchName
    }

    /// Puts `bytes` behind stdin through an unlinked file in /tmp (a pipe could hold only 64 KiB before the exec).
    private static func redirectStandardInput(to bytes: [UInt8]) -> Bool {
        var template = Array("/tmp/orch-hook-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { return false }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        defer { close(descriptor) }
        // A full /tmp (a tmpfs) must not hand orch half a reply: the caller prints the whole one itself then.
        return Output.writeAll(bytes, to: descriptor) && lseek(descriptor, 0, SEEK_SET) == 0 && dup2(descriptor, 0) == 0
    }
}
