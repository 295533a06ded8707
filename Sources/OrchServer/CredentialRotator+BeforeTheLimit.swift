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
extension CredentialRotator {
    /// Takes the windows a status-line report gave for the instance's file.
    func noteWindows(_ usage: InstanceUsage, of instance: InstanceName, now: Date = Date()) async {
        guard let percent = usage.utilisation, percent >= policy.rotateAtPercent, let file = pool.file(of: instance),
              !movingBeforeLimit.contains(instance), pool.limitedUntil(of: instance) == nil else { return }
        let reported = usage.resetsAt.map { Date(timeIntervalSince1970: TimeInterval($0)) }.flatMap { $0 > now ? $0 : nil }
        let reset = min(reported ?? now.addingTimeInterval(policy.rateLimitSeconds), now.addingTimeInterval(RateLimitReset.longest))
        guard pool.markLimited(instance, until: reset) else { return }
        save()
        movingBeforeLimit.insert(instance)
        let until = Self.format(reset)
        logger.notice("\(file.name) is \(Int(percent))% used (resets \(until)): \(instance) moves to another file at its next Stop between tasks")
        await events?.append(.nearLimit, instance: instance, ["file": file.name, "percent": String(Int(percent)), "until": until])
    }

    /// Whether the instance should move at this Stop: its file is near its limit and another is free.
    public func wantsMoveBeforeLimit(_ instance: InstanceName, now: Date = Date()) -> Bool {
        movingBeforeLimit.contains(instance) && !busy.contains(instance) && pool.hasFreeFile(now: now)
    }

    /// Moves the instance (whose Stop, between tasks, was allowed) to the least-used free file.
    /// - Returns: whether it runs on another file now.
    @discardableResult
    public func moveBeforeLimit(_ instance: InstanceName, now: Date = Date()) async -> Bool {
        guard movingBeforeLimit.contains(instance), !busy.contains(instance), let leaving = pool.file(of: instance) else { return false }
        let before = pool
        guard let next = pool.rotate(instance, now: now, use: usageByFile.compactMapValues(\.utilisation)), next != leaving else { return false }
        movingBeforeLimit.remove(instance)
        busy.insert(instance)
        defer { busy.remove(instance) }
        save()
        let moved = await restart(instance, on: next, leaving: leaving,
                                  prompt: "orch moved this session to another subscription before the last one reached its limit. Your last task is done; stop, and orch hands you the next one.")
        guard moved else {
            pool = before
            save()
            return false
        }
        OrchMetrics.rotations.increment()
        await events?.append(.rotated, instance: instance, ["from": leaving.name, "to": next.name, "reason": "before-limit"])
        logger.notice("\(instance) now uses \(next.name), before \(leaving.name) reached its limit")
        return true
    }
}
