import Foundation
import OrchCore
import Testing

@Suite struct TaskListTests {
    static let sample = """
        # Worker 1

        Some prose, kept as it is. - [ ] not a task because it does not start the line

        - [ ] T-0007: Add a --json flag to the report command
        - [x] T-0003: Fix the off-by-one in pagination
          - [X] T-0010:   Indented, odd spacing
        * [ ] T-12345: Star bullet, long id

        ## Notes
        trailing text without newline
        """

    @Test func roundTripsEveryByte() throws {
        for text in [Self.sample, Self.sample + "\n", Self.sample.replacingOccurrences(of: "\n", with: "\r\n"), "", "\n\n", "- [ ] T-0001: only"] {
            let list = try TaskList(parsing: text)
            #expect(list.rendered == text)
        }
    }

    @Test func readsTasks() throws {
        let list = try TaskList(parsing: Self.sample)
        #expect(list.tasks.map(\.id.description) == ["T-0007", "T-0003", "T-0010", "T-12345"])
        #expect(list.tasks.map(\.isDone) == [false, true, true, false])
        #expect(list.tasks[0].text == "Add a --json flag to the report command")
        #expect(list.tasks[2].text == "Indented, odd spacing")
    }

    @Test func malformedLinesAreReportedWithTheirNumbers() {
        let text = "# T\n- [ ] T-0001: fine\n- [ ] no id here\n- [?] T-0002: odd box\n- [ ] T-12x: bad id\n- [ ] T-0003:\n- [ ]T-0004: squashed\n"
        #expect {
            try TaskList(parsing: text)
        } throws: { error in
            let problems = (error as! TaskListError).problems
            return problems.map(\.line) == [3, 4, 5, 6, 7] && problems[1].reason.contains("?")
        }
    }

    @Test func appendUsesTheFilesLineEndingAndMendsAMissingFinalNewline() throws {
        var crlf = try TaskList(parsing: "# T\r\n- [ ] T-0001: a")
        crlf.append(TaskEntry(id: TaskID(2), text: "b"))
        #expect(crlf.rendered == "# T\r\n- [ ] T-0001: a\r\n- [ ] T-0002: b\r\n")
        var lf = try TaskList(parsing: "")
        lf.append(TaskEntry(id: TaskID(1), text: "first"))
        #expect(lf.rendered == "- [ ] T-0001: first\n")
    }

    @Test func tickChangesOnlyTheBox() throws {
        var list = try TaskList(parsing: Self.sample)
        let results = [list.tick(TaskID(7)), list.tick(TaskID(3)), list.tick(TaskID(99)), list.tick(TaskID(12345))]
        // T-0003 was ticked already; T-0099 is not in the list.
        #expect(results == [true, false, false, true])
        let expected = Self.sample
            .replacingOccurrences(of: "- [ ] T-0007", with: "- [x] T-0007")
            .replacingOccurrences(of: "* [ ] T-12345", with: "* [x] T-12345")
        #expect(list.rendered == expected)
    }

    @Test func idsFormatAndParse() {
        #expect(TaskID(7).description == "T-0007")
        #expect(TaskID(12345).description == "T-12345")
        #expect(TaskID("T-0042") == TaskID(42))
        #expect(TaskID("T-") == nil)
        #expect(TaskID("T-0") == nil)
        #expect(TaskID("X-0001") == nil)
    }
}
