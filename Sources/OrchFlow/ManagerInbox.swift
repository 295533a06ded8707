import Foundation
import Logging
import OrchCore

/// The manager's notices: queued once each (a key already delivered, even by
/// an earlier server, is not queued again), handed over by its Stop hook, or
/// typed into its pane while it is idle, and recorded as delivered in
/// `<state>/run/notices.json` once the manager's next event confirms them: a
/// Stop with `stop_hook_active` (it went on with the reply), or the
/// UserPromptSubmit of a typed notice. A reply that never arrived (`orch hook`
/// gave up, the server died) is followed by a Stop without it, a prompt, or a
/// new server: the notices are handed over again. Nothing is lost; a notice
/// may come twice.
struct ManagerInbox {
    private(set) var pending: [ManagerNotice] = []
    private var record: NoticeRecord
    private var delivery: PaneDelivery
    /// The keys of the notices typed into the pane and not yet confirmed.
    private var typedKeys: [String] = []
    /// Handed over in a Stop hook's reply, not yet confirmed.
    private var inFlight: [ManagerNotice] = []
    /// It stopped and nothing was handed to it since.
    private(set) var idle = false
    let logger: Logger

    init(record: NoticeRecord, confirmSeconds: Double, logger: Logger) {
        self.record = record
        self.delivery = PaneDelivery(confirmSeconds: confirmSeconds)
        self.logger = logger
    }

    mutating func queue(_ notice: ManagerNotice) {
        guard !record.contains(notice.key), !pending.contains(where: { $0.key == notice.key }),
              !inFlight.contains(where: { $0.key == notice.key }) else { return }
        pending.append(notice)
    }

    /// Its Stop hook: the pending notices as the reply, or nothing (it is idle).
    /// - Parameters:
    ///   - continuing: the hook's `stop_hook_active`: it went on with the last reply, which confirms it.
    mutating func stopped(continuing: Bool, _ step: inout FlowStep) {
        delivery.forget()
        settleInFlight(confirmed: continuing, &step)
        guard !pending.isEmpty else {
            idle = true
            step.record(.idle, .manager)
            return
        }
        idle = false
        let notices = pending
        inFlight = notices
        pending = []
        step.reply = .block(Instructions.noticeText(notices, oneLine: false))
    }

    /// A prompt it submitted: it is busy, and a typed notice it confirms is delivered.
    mutating func promptSubmitted(_ prompt: String, _ step: inout FlowStep) {
        idle = false
        // A prompt, not the continuation of the reply: the reply did not reach it.
        settleInFlight(confirmed: false, &step)
        if delivery.confirm(by: prompt) != nil {
            delivered(typedKeys, how: "pane", &step)
            typedKeys = []
        }
    }

    mutating func becameIdle() {
        idle = true
        var step = FlowStep()
        settleInFlight(confirmed: false, &step)
    }

    private mutating func settleInFlight(confirmed: Bool, _ step: inout FlowStep) {
        guard !inFlight.isEmpty else { return }
        let notices = inFlight
        inFlight = []
        if confirmed {
            delivered(notices.map(\.key), how: "stop-hook", &step)
        } else {
            logger.warning("the manager did not go on with its last Stop reply: its \(notices.count) notice(s) are handed over again")
            pending = notices + pending.filter { notice in !notices.contains { $0.key == notice.key } }
        }
    }

    /// While it is idle and up: types the pending notices, or types them again when unconfirmed.
    mutating func poll(now: Date, sighting: InstanceSighting, _ step: inout FlowStep) {
        guard idle, !pending.isEmpty, sighting.isRunning(.manager) else { return }
        if delivery.typed == nil {
            typedKeys = pending.map(\.key)
            let text = delivery.start(Instructions.noticeText(pending, oneLine: true), marker: Instructions.noticeMarker, now: now)
            step.effects.append(.type(text, into: .manager))
            return
        }
        switch delivery.retry(now: now, heard: sighting.heard[.manager]) {
        case .wait: break
        case .heardFrom: idle = false
        case .typeAgain(let typed): step.effects.append(.type(typed.text, into: .manager))
        }
    }

    private mutating func delivered(_ keys: [String], how: String, _ step: inout FlowStep) {
        do {
            try record.insert(keys)
        } catch {
            logger.error("cannot record delivered notices in \(record.file): \(error)")
        }
        pending.removeAll { keys.contains($0.key) }
        step.record(.notified, .manager, ["notices": keys.joined(separator: " "), "by": how])
    }
}
