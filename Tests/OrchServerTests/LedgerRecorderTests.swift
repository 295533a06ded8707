import Foundation
import GitKit
import Logging
import OrchCore
import Testing
import TestSupport
@testable import OrchFlow
@testable import OrchServer

/// The ledger recorder: the task flow's delivered and failed marks written as
/// refs, in the order asked, off the hook path; a failure is logged, not thrown.
@Suite struct LedgerRecorderTests {
    @Test func marksLandAsRefsInOrderAndTheLedgerReadsThem() async throws {
        let setup = try TaskFlowUnitTests.Setup()
        let first = try setup.assign(1, "One")
        let second = try setup.assign(2, "Two")
        let tip = try #require(try Repository.open(at: setup.layout.clone).branchTip("main"))
        let recorder = LedgerRecorder(repository: setup.layout.clone, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        await recorder.delivered(first, at: tip)
        await recorder.delivered(second, at: tip)
        await recorder.failed(second, at: tip)
        let marks = try TaskLedger.Marks(repository: Repository.open(at: setup.layout.clone))
        #expect(marks.delivered == [first, second] && marks.failed == [second])
        let ledger = try setup.ledger()
        #expect(ledger.task(first)?.state == .delivered && ledger.task(second)?.state == .failed)
        #expect(try git("rev-parse", TaskLedger.deliveredPrefix + first.description, in: setup.layout.clone) == tip.hex)
    }

    @Test func aWriteThatCannotLandIsLoggedAndTheNextStillLands() async throws {
        let setup = try TaskFlowUnitTests.Setup()
        let task = try setup.assign(1, "One")
        let tip = try #require(try Repository.open(at: setup.layout.clone).branchTip("main"))
        let logged = LoggedLines()
        let recorder = LedgerRecorder(repository: setup.layout.clone, logger: Logger(label: "test") { _ in logged })
        await recorder.delivered(task, at: ObjectID(hex: String(repeating: "1", count: 40))!)
        #expect(logged.lines.contains { $0.contains("cannot record the delivery of \(task)") }, "\(logged.lines)")
        await recorder.delivered(task, at: tip)
        #expect(try TaskLedger.Marks(repository: Repository.open(at: setup.layout.clone)).delivered == [task])
    }
}

/// A log handler that keeps the lines.
final class LoggedLines: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    var lines: [String] { lock.withLock { kept } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lock.withLock { kept.append("\(event.level) \(event.message)") }
    }
}
