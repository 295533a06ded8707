import Foundation
import OrchCore

/// What the server does with a hook event and what the hook prints back to Claude Code.
///
/// ```swift
/// struct AllowEverything: HookHandler {
///     func handle(_ event: HookEvent) async -> HookReply { .none }
/// }
/// ```
public protocol HookHandler: Sendable {
    /// Handles one event; must not throw (the hook fails open) and should return quickly.
    /// - Parameters:
    ///   - event: the event, its sender already authenticated.
    func handle(_ event: HookEvent) async -> HookReply
}
