import Foundation
import OrchCore

/// Proactive rotation (issue #15 point 4): a subscription login reports its
/// windows' use through the status line; once either passes
/// `health.rotateAtPercent` the file is marked until that window resets (no
/// other instance is given it) and its holder moves to the least-used free
/// file at its next Stop between tasks (the Stop is allowed, the instance
/// restarted on the new file resuming its conversation, and its next task
/// handed over as to any idle worker), never mid-task. With no file free it
/// carries on until the hard limit, where ``CredentialRotator/rateLimited(_:message:transcriptPath:now:signalled:)`` takes over.
///
/// The reports come from the container, so they are held to the same bounds as
/// its rate-limit signals: acted on at most once per `health.rateLimitSignalSeconds`
/// (a container claiming 100% cannot walk the pool faster), a reset taken as
/// at most 8 days off, and nothing taken while the instance is being moved or
/// from before its last start (a late report of the file it just left).
extension CredentialRotator {
    /// Takes the windows a status-line report gave for the instance's file.
    /// - Parameters:
    ///   - received: when the report arrived; one from before the instance's last (re)start is about the file it left.
    func noteWindows(_ usage: InstanceUsage, of instance: InstanceName, received: Date, now: Date = Date()) async {
        guard let percent = usage.utilisation, percent >= policy.rotateAtPercent, !busy.contains(instance),
              !movingBeforeLimit.contains(instance), pool.limitedUntil(of: instance) == nil, let file = pool.file(of: instance) else { return }
        if let started = await board.status(instance)?.startedAt, received < started { return }
        if let last = lastActed[instance], now.timeIntervalSince(last) < policy.rateLimitSignalSeconds { return }
        let reported = usage.reset(ofWindowsAt: policy.rotateAtPercent).map { Date(timeIntervalSince1970: TimeInterval($0)) }.flatMap { $0 > now ? $0 : nil }
        let reset = min(reported ?? now.addingTimeInterval(policy.rateLimitSeconds), now.addingTimeInterval(RateLimitReset.longest))
        guard pool.markLimited(instance, until: reset) else { return }
        lastActed[instance] = now
        save()
        movingBeforeLimit.insert(instance)
        let until = Self.format(reset)
        logger.notice("\(file.name) is \(Int(percent))% used (resets \(until)): \(instance) moves to another file at its next Stop between tasks")
        await events?.append(.nearLimit, instance: instance, ["file": file.name, "percent": String(Int(percent)), "until": until])
    }

    /// Whether the instance should move at this Stop: its file is still marked near its limit and another is free.
    public func wantsMoveBeforeLimit(_ instance: InstanceName, now: Date = Date()) -> Bool {
        guard movingBeforeLimit.contains(instance) else { return false }
        // A hard limit, a pause or the mark running out settled it another way.
        guard pool.limitedUntil(of: instance).map({ $0 > now }) ?? false else {
            movingBeforeLimit.remove(instance)
            return false
        }
        return !busy.contains(instance) && pool.hasFreeFile(now: now)
    }

    /// Moves the instance (whose Stop, between tasks, was allowed) to the least-used free file.
    /// - Returns: whether it runs on another file now.
    @discardableResult
    public func moveBeforeLimit(_ instance: InstanceName, now: Date = Date()) async -> Bool {
        guard movingBeforeLimit.contains(instance), !busy.contains(instance), let leaving = pool.file(of: instance) else { return false }
        guard let next = pool.rotate(instance, now: now, use: usageByFile.compactMapValues(\.utilisation)), next != leaving else { return false }
        movingBeforeLimit.remove(instance)
        lastActed[instance] = now
        busy.insert(instance)
        defer { busy.remove(instance) }
        save()
        let moved = await restart(instance, on: next, leaving: leaving,
                                  prompt: "orch moved this session to another subscription before the last one reached its limit. Your last task is done; stop, and orch hands you the next one.")
        guard moved else {
            pool.undoMove(of: instance, from: leaving, to: next)
            save()
            return false
        }
        OrchMetrics.rotations.increment()
        await events?.append(.rotated, instance: instance, ["from": leaving.name, "to": next.name, "reason": "before-limit"])
        logger.notice("\(instance) now uses \(next.name), before \(leaving.name) reached its limit")
        return true
    }
}
