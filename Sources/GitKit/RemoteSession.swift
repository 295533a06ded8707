import CLibGit2
import Foundation

/// One connection's state behind libgit2's remote callbacks: which credential
/// methods were offered (libgit2 asks again after a refusal, so each is tried
/// once instead of forever), what the remote refused in a push, and what went
/// wrong, worded for a person: the remote and the method, never the secret.
final class RemoteSession {
    let url: String
    let access: RemoteAccess
    let endpoint: RemoteEndpoint?
    private var tried: Set<String> = []
    /// Why a callback refused, with the error code to report it under.
    private(set) var failure: (code: GitError.Code, message: String)?
    /// Refs the remote refused in a push, with its reason.
    private(set) var rejections: [(ref: String, reason: String)] = []

    init(url: String, access: RemoteAccess) {
        self.url = url
        self.access = access
        self.endpoint = RemoteEndpoint(url: url)
    }

    /// The URL as messages show it: see ``RemoteAccess/redacting(_:)``.
    var displayURL: String { RemoteAccess.redacting(url) }

    static func redacting(_ url: String) -> String { RemoteAccess.redacting(url) }

    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        // 127.0.0.0/8 written as a dotted quad; a name like 127.example.com is not loopback.
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in UInt8(part) != nil }
    }

    /// Points the callbacks at this session; it must outlive the libgit2 call.
    func install(into callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, url, username, allowed, payload in
            let session = Unmanaged<RemoteSession>.fromOpaque(payload!).takeUnretainedValue()
            return session.credential(out, url: url.map { String(cString: $0) }, username: username.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.certificate_check = { cert, _, host, payload in
            let session = Unmanaged<RemoteSession>.fromOpaque(payload!).takeUnretainedValue()
            return session.checkCertificate(cert, host: host.map { String(cString: $0) })
        }
        callbacks.push_update_reference = { refname, status, payload in
            let session = Unmanaged<RemoteSession>.fromOpaque(payload!).takeUnretainedValue()
            if let status {
                session.rejections.append((refname.map { String(cString: $0) } ?? "?", String(cString: status)))
            }
            return 0
        }
    }

    /// The error for a failed libgit2 call: the callback's own reason when it refused.
    func error(for result: Int32, operation: String) -> GitError {
        if let failure { return GitError(code: failure.code, message: failure.message, operation: operation) }
        // The operation names the remote already.
        return GitError.last(result, operation: operation)
    }

    private func refuse(_ code: GitError.Code, _ message: String) -> Int32 {
        failure = (code, message)
        return GIT_EUSER.rawValue
    }

    private func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, url asking: String?, username: String?, allowed: UInt32) -> Int32 {
        // Like ssh itself: no user in the URL means the local one.
        let user = username ?? ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            if let key = access.sshKey {
                guard tried.insert("key").inserted else {
                    return refuse(.authentication, "\(displayURL) refused \(access.sshMethod) for user \(user)")
                }
                guard FileManager.default.isReadableFile(atPath: key) else {
                    return refuse(.authentication, "cannot read the ssh key \(key) for \(displayURL)")
                }
                let publicKey = FileManager.default.isReadableFile(atPath: key + ".pub") ? key + ".pub" : nil
                return git_credential_ssh_key_new(out, user, publicKey, key, nil)
            }
            guard let agent = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"], !agent.isEmpty else {
                return refuse(.authentication, "\(displayURL) needs an ssh key: no ssh agent runs ($SSH_AUTH_SOCK is not set) and the config names no remote.sshKey")
            }
            guard tried.insert("agent").inserted else {
                return refuse(.authentication, "\(displayURL) accepted none of the keys of the ssh agent at \(agent) for user \(user)")
            }
            return git_credential_ssh_key_from_agent(out, user)
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
            // The token goes to the configured https host only: not to ssh password prompts,
            // not in the clear (but on loopback), not to a host the remote redirected to.
            guard let endpoint, endpoint.scheme == "https" || (endpoint.scheme == "http" && Self.isLoopback(endpoint.host)) else {
                return refuse(.authentication, "\(displayURL) asks for a password; orch sends a token only over https")
            }
            if let asking, let other = RemoteEndpoint(url: asking), other.host != endpoint.host {
                return refuse(.authentication, "\(displayURL) sent orch to \(other.host); orch sends its token to \(endpoint.host) only")
            }
            guard let token = access.httpToken else {
                return refuse(.authentication, "\(displayURL) asks for credentials and no token is set (remote.tokenEnv, remote.tokenFile or $ORCH_GIT_TOKEN)")
            }
            guard tried.insert("token").inserted else {
                return refuse(.authentication, "\(displayURL) refused \(access.httpMethod) for user \(access.httpUser)")
            }
            return git_credential_userpass_plaintext_new(out, access.httpUser, token)
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, user)
        }
        return refuse(.authentication, "\(displayURL) asks for a kind of credential orch does not offer")
    }

    /// libgit2's raw host key types: how messages and `ssh-keyscan -t` name them.
    static let keyTypes: [Int: (String, String)] = [
        1: ("an ssh-rsa", "rsa"), 2: ("an ssh-dss", "dsa"), 3: ("an ecdsa-sha2-nistp256", "ecdsa"),
        4: ("an ecdsa-sha2-nistp384", "ecdsa"), 5: ("an ecdsa-sha2-nistp521", "ecdsa"), 6: ("an ssh-ed25519", "ed25519"),
    ]

    private func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>?, host: String?) -> Int32 {
        guard let cert, cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            // TLS: libgit2's own verification against the system's CA store stands.
            return GIT_PASSTHROUGH.rawValue
        }
        let hostName = endpoint?.host ?? host ?? "?"
        let port = endpoint?.port ?? 22
        let shown = port == 22 ? hostName : "[\(hostName)]:\(port)"
        let hostKey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        guard hostKey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let key = hostKey.hostkey else {
            return refuse(.hostKey, "\(shown) sent no host key orch can check against \(access.knownHosts)")
        }
        let rawType = Int(hostKey.raw_type.rawValue)
        let result = orch_known_hosts_check(access.knownHosts, hostName, Int32(port), key, hostKey.hostkey_len, Int32(rawType))
        // libssh2 picks the host key type itself (often ECDSA where OpenSSH picks Ed25519): known_hosts needs that type.
        let (typeName, keyscanType) = Self.keyTypes[rawType] ?? ("an unknown", "")
        switch result {
        case 0: return 0
        case 1:
            let keyscan = "ssh-keyscan" + (keyscanType.isEmpty ? "" : " -t \(keyscanType)") + (port == 22 ? "" : " -p \(port)") + " \(hostName)"
            return refuse(.hostKey, "the ssh host \(shown) offered \(typeName) host key, which is not in \(access.knownHosts); "
                + "check it and add it (e.g. `\(keyscan) >> \(access.knownHosts)`)")
        case 2:
            return refuse(.hostKey, "the ssh host \(shown) sent \(typeName) host key that does not match \(access.knownHosts): "
                + "the connection may be intercepted, or the host changed its key")
        default:
            return refuse(.hostKey, "cannot read the known_hosts file \(access.knownHosts) to check the ssh host \(shown)")
        }
    }
}
