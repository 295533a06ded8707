import Foundation
import OrchWire

/// What an instance image says, in its labels, about the orch inside it: the
/// channel protocol it speaks and the build it carries. `orch serve` reads
/// them before it starts a fleet, so an image left from another orch is
/// refused up front rather than failing hook by hook at run time.
///
/// ```swift
/// try InstanceImage.check(labels: ["org.orch.protocol": "2"], image: "orch-claude:latest")
/// ```
public enum InstanceImage {
    /// The channel protocol this orch speaks: 1 was the unix socket; 2 is
    /// hooks over HTTP with a token per instance and orch inside the image;
    /// 3 adds `orch-hook` (what the managed settings run) and `orch checkout
    /// --hand-back` (what clones run with `"hooks": "http"`).
    public static let protocolVersion = 3
    /// The label holding the protocol of the image's orch.
    public static let protocolLabel = "org.orch.protocol"
    /// The label holding a hash of what the image was built from (orch, Claude Code, the Dockerfile).
    public static let buildLabel = "org.orch.build"
    /// The label holding the Claude Code version inside.
    public static let claudeVersionLabel = "org.orch.claude-version"
    /// The image `orch image build` makes unless told otherwise.
    public static let defaultTag = "orch-claude:latest"
    /// Where orch is inside the image.
    public static let orchPath = "/usr/local/bin/orch"
    /// The hook forwarder's name, beside orch in a build and in the image.
    public static let forwarderName = "orch-hook"
    /// Where the forwarder is inside the image: what every hook runs.
    public static let forwarderPath = "/usr/local/bin/" + forwarderName
    /// Where the hook scripts are inside the image.
    public static let hooksDirectory = "/opt/orch/hooks"

    /// Where Claude Code reads managed settings on Linux.
    public static let managedSettingsPath = "/etc/claude-code/managed-settings.json"

    /// Claude Code's managed settings: orch's hooks and only those
    /// (`allowManagedHooksOnly`), so no user, project or local settings file (a
    /// worktree's `.claude/settings.local.json` with `disableAllHooks`, say) can
    /// add, change or switch them off. Without `httpEndpoint` (the image's own)
    /// every event runs `orch-hook`; with it (`"hooks": "http"`, written per run
    /// and mounted over the image's) Claude Code posts each event to the endpoint
    /// with the instance's token, but SessionStart, which it sends only to commands.
    public static func managedSettings(httpEndpoint: String? = nil) -> Data {
        let hooks = Dictionary(uniqueKeysWithValues: InstanceHome.hookEvents.map { event in
            (event, [["matcher": "", "hooks": [hook(event, httpEndpoint: httpEndpoint)]]])
        })
        // The status line's input is how orch learns a session's tokens, cost and windows (docs/usage-signals.md).
        let statusLine: [String: Any] = ["type": "command", "command": "\(forwarderPath) \(HookEventName.statusLine.rawValue)", "padding": 0]
        var settings: [String: Any] = ["allowManagedHooksOnly": true, "hooks": hooks, "statusLine": statusLine]
        if let httpEndpoint {
            // No other HTTP hook could run (managed only), and none may carry the token anywhere else.
            settings["allowedHttpHookUrls"] = [httpEndpoint + HookWire.path(event: "*")]
            settings["httpHookAllowedEnvVars"] = [tokenVariable]
        }
        return (try? JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// The variable holding an instance's token in its container.
    public static let tokenVariable = "ORCH_TOKEN"

    private static func hook(_ event: String, httpEndpoint: String?) -> [String: Any] {
        guard let httpEndpoint, event != HookEventName.sessionStart.rawValue else {
            return ["type": "command", "command": "\(forwarderPath) \(event)", "timeout": InstanceHome.hookTimeoutSeconds]
        }
        return ["type": "http", "url": httpEndpoint + HookWire.path(event: event), "headers": ["Authorization": "Bearer $\(tokenVariable)", HookWire.transportHeader: "http"],
                "allowedEnvVars": [tokenVariable], "timeout": InstanceHome.hookTimeoutSeconds]
    }

    /// Refuses an image whose orch speaks another protocol, or that has none.
    /// - Throws: ``OrchError`` (usage) naming the image, the field and both versions.
    public static func check(labels: [String: String], image: String) throws {
        guard let found = labels[protocolLabel] else {
            throw OrchError.usage("image \(image) (field image) has no orch inside (no \(protocolLabel) label); "
                + "build one with `orch image build --tag \(image)`")
        }
        guard found == String(protocolVersion) else {
            throw OrchError.usage("image \(image) (field image) carries an orch that speaks protocol \(found); this orch speaks "
                + "\(protocolVersion): rebuild it with `orch image build --tag \(image)`")
        }
    }
}
