import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the self-pipe the signal handler writes to (a handler may
/// only make async-signal-safe calls, and `write` is one).
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// SIGINT and SIGTERM as an event to await. Listening starts at `init`, so a
/// signal that arrives while orch is still starting is not lost.
///
/// A plain `sigaction` handler and a self-pipe, not a Dispatch signal source:
/// libdispatch's signal thread takes every signal, SIGCHLD included, which
/// stopped swift-subprocess from seeing its children exit. A handler (unlike
/// `SIG_IGN`) is also reset in the programs orch starts, so tmux and docker
/// still stop on SIGTERM.
public final class ShutdownSignal: Sendable {
    private let stream: AsyncStream<Int32>

    /// Installs the handlers for SIGINT and SIGTERM.
    public init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var ends: [Int32] = [0, 0]
        pipe(&ends)
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        signalPipeWriteEnd = ends[1]
        var action = sigaction()
        let handler: @convention(c) (Int32) -> Void = { number in
            var byte = UInt8(truncatingIfNeeded: number)
            _ = write(signalPipeWriteEnd, &byte, 1)
        }
        #if canImport(Darwin)
        action.__sigaction_u.__sa_handler = handler
        #else
        action.__sigaction_handler.sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_RESTART)
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        let readEnd = ends[0]
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) == 1 { continuation.yield(Int32(byte)) }
        }
        self.stream = stream
    }

    /// Unblocks SIGINT and SIGTERM for this thread and the threads it starts: a
    /// parent (a test runner, say) may hand its children a mask that blocks them.
    /// Call first thing in `main`.
    public static func unblock() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Suspends until SIGINT or SIGTERM arrives (at once if one already did).
    /// - Returns: the signal's number.
    public func wait() async -> Int32 {
        for await number in stream { return number }
        return SIGTERM
    }
}
