import CLibGit2
import Foundation

/// Git's own configuration files, outside any repository.
public enum GitConfig {
    /// `user.name` and `user.email` from the global, XDG and system config files
    /// (`~/.gitconfig` and the like), each nil when unset or unreadable.
    public static func userIdentity() -> (name: String?, email: String?) {
        _ = libgit2Ready
        var config: OpaquePointer?
        guard git_config_open_default(&config) == 0, let config else { return (nil, nil) }
        defer { git_config_free(config) }
        func value(_ key: String) -> String? {
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            guard git_config_get_string_buf(&buffer, config, key) == 0, let text = buffer.ptr else { return nil }
            let string = String(cString: text).trimmingCharacters(in: .whitespaces)
            return string.isEmpty ? nil : string
        }
        return (value("user.name"), value("user.email"))
    }
}
