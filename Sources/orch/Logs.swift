import ArgumentParser
import Foundation
import OrchCore
import OrchServer

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the event log, or an instance's events and its pane log; -f follows them."
    )

    @Argument(help: "manager or worker-N: its events, then what its pane showed.")
    var instance: String?

    @Flag(name: [.customShort("f"), .long], help: "Keep printing what is appended.")
    var follow = false

    @OptionGroup var location: StateOptions

    func validate() throws {
        if let instance, InstanceName(instance) == nil { throw ValidationError("instance must be manager or worker-N, got \(instance)") }
        guard location.config != nil || location.state != nil else { throw ValidationError("give --config or --state") }
    }

    func run() async throws {
        let layout = try location.resolve().layout
        let events = layout.events
        guard FileManager.default.fileExists(atPath: events) else {
            throw OrchError.usage("no event log at \(events): has orch serve run with this state directory?")
        }
        var eventOffset = printEvents(from: events, offset: 0)
        var paneOffset: UInt64 = 0
        let pane = instance.flatMap { InstanceName($0) }.map(layout.paneLog)
        if let pane {
            print("--- \(pane)")
            paneOffset = copy(pane, from: 0)
        }
        fflush(nil)
        while follow {
            try await Task.sleep(for: .milliseconds(300))
            defer { fflush(nil) }
            if let pane {
                paneOffset = copy(pane, from: paneOffset)
            } else {
                eventOffset = printEvents(from: events, offset: eventOffset)
            }
        }
    }

    /// Prints the entries after `offset` (only the instance's, when one is named); returns the new offset.
    private func printEvents(from file: String, offset: UInt64) -> UInt64 {
        let (data, end) = read(file, from: offset)
        // Only whole lines: a line being written is read on the next round.
        guard let lastNewline = data.lastIndex(of: 0x0A) else { return offset }
        for line in data[..<lastNewline].split(separator: 0x0A) {
            guard let entry = EventLog.format(Substring(decoding: line, as: UTF8.self)) else { continue }
            if instance == nil || entry.instance == instance { print(entry.text) }
        }
        return end - UInt64(data.count - lastNewline - 1)
    }

    private func copy(_ file: String, from offset: UInt64) -> UInt64 {
        let (data, end) = read(file, from: offset)
        FileHandle.standardOutput.write(data)
        return end
    }

    private func read(_ file: String, from offset: UInt64) -> (Data, UInt64) {
        guard let handle = FileHandle(forReadingAtPath: file) else { return (Data(), offset) }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        // A log that shrank was replaced: start over.
        let start = size < offset ? 0 : offset
        try? handle.seek(toOffset: start)
        let data = handle.readDataToEndOfFile()
        return (data, start + UInt64(data.count))
    }
}
