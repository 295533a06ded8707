import Foundation
import Logging
import OrchCore

/// The server's answer to hook events: it keeps the ``InstanceBoard`` current
/// and remembers each instance's conversation so a restart resumes it.
///
/// ```swift
/// let coordinator = Coordinator(board: board, layout: layout, logger: logger)
/// let receiver = HookReceiver(socketPath: …, tokens: tokens, handler: coordinator, logger: logger)
/// ```
public struct Coordinator: HookHandler {
    let board: InstanceBoard
    let layout: StateLayout
    let logger: Logger

    /// - Parameters:
    ///   - board: the live view of the instances.
    ///   - layout: the state directory (instance homes).
    ///   - logger: where problems go.
    public init(board: InstanceBoard, layout: StateLayout, logger: Logger) {
        self.board = board
        self.layout = layout
        self.logger = logger
    }

    /// Records the event; every event is allowed to go on as Claude wants.
    /// - Parameters:
    ///   - event: the event.
    public func handle(_ event: HookEvent) async -> HookReply {
        await board.record(event)
        if event.name == .sessionStart, let session = event.sessionID {
            do {
                try InstanceHome(instance: event.instance, layout: layout).recordSession(session)
            } catch {
                logger.warning("cannot record the session of \(event.instance): \(error)")
            }
        }
        return .none
    }
}
