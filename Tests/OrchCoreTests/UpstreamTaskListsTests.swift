@testable import OrchCore
import Testing

/// Task lists edited on the user's git host and by orch at once.
@Suite struct UpstreamTaskListsTests {
    let base = "# Tasks\n\n- [ ] T-0001: a\n- [ ] T-0002: b\n"

    @Test func orchsTickAndAPersonsRewordingMakeOneTask() {
        let ours = "# Tasks\n\n- [x] T-0001: a\n- [ ] T-0002: b\n"
        let theirs = "# Tasks\n\n- [ ] T-0001: a, reworded\n- [ ] T-0002: b\n"
        #expect(UpstreamTaskLists.merge(base: base, ours: ours, theirs: theirs) == "# Tasks\n\n- [x] T-0001: a, reworded\n- [ ] T-0002: b\n")
    }

    @Test func ticksOnBothSidesInAnyCaseAreOneTick() {
        let ours = "# Tasks\n\n- [x] T-0001: a\n- [ ] T-0002: b\n- [ ] T-0003: c\n"
        let theirs = "# Tasks\n\n- [X] T-0001: a\n- [ ] T-0002: b\n"
        #expect(UpstreamTaskLists.merge(base: base, ours: ours, theirs: theirs) == "# Tasks\n\n- [X] T-0001: a\n- [ ] T-0002: b\n- [ ] T-0003: c\n")
    }

    @Test func aPersonsHeadingEditAndNewTasksAreKeptOnce() {
        let ours = "# Tasks\n\n- [x] T-0001: a\n- [ ] T-0002: b\n- [ ] T-0003: c\n"
        let theirs = "# Tasks for one\n\n- [ ] T-0001: a\n- [ ] T-0002: b\n- [ ] Write the FAQ\n"
        #expect(UpstreamTaskLists.merge(base: base, ours: ours, theirs: theirs)
            == "# Tasks for one\n\n- [x] T-0001: a\n- [ ] T-0002: b\n- [ ] Write the FAQ\n- [ ] T-0003: c\n")
    }

    @Test func aNewTaskWordedLikeAnOldOneIsKeptALineRepeatedUnderOneIDIsNot() {
        let ours = "# Tasks\n\n- [x] T-0001: a\n- [ ] T-0002: b\n- [ ] T-0003: c\n"
        let theirs = "# Tasks\n\n- [ ] T-0001: a\n- [ ] T-0002: b\n- [ ] a\n- [ ] T-0003: c\n- [ ] T-0003: c\n"
        #expect(UpstreamTaskLists.merge(base: base, ours: ours, theirs: theirs)
            == "# Tasks\n\n- [x] T-0001: a\n- [ ] T-0002: b\n- [ ] a\n- [ ] T-0003: c\n")
    }

    @Test func aDeletionUpstreamHoldsUnlessOrchTickedTheTask() {
        let ours = "# Tasks\n\n- [x] T-0001: a\n- [ ] T-0002: b\n"
        let theirs = "# Tasks\n\n"
        #expect(UpstreamTaskLists.merge(base: base, ours: ours, theirs: theirs) == "# Tasks\n\n- [x] T-0001: a\n")
    }

    @Test func lineEndingsStayAsTheFileHasThem() {
        let base = "- [ ] T-0001: a\r\n"
        let ours = "- [x] T-0001: a\r\n"
        let theirs = "- [ ] T-0001: a\r\n- [ ] new"
        #expect(UpstreamTaskLists.merge(base: base, ours: ours, theirs: theirs) == "- [x] T-0001: a\r\n- [ ] new")
        #expect(UpstreamTaskLists.merge(base: base, ours: "- [x] T-0001: a\r\n- [ ] T-0002: b", theirs: "- [ ] T-0001: a") == "- [x] T-0001: a\r\n- [ ] T-0002: b\r\n")
    }

    @Test func renumberingGivesIdsKeepsOrchsAndEscapesWhatCannotBeATask() {
        let lists = [
            "WORKER_1_TASK_LIST.md": "- [ ] T-0001: orch's\n- [ ] T-0001: a person's, same id\n- [ ] no id\n- [ ]\n- [ ]f\n",
            "WORKER_2_TASK_LIST.md": "- [ ] T-0002: orch's\n- [ ] T-0007: reused id of a deleted task\n",
        ]
        let changed = UpstreamTaskLists.renumber(lists, keeping: ["WORKER_1_TASK_LIST.md": [TaskID(1): "orch's"], "WORKER_2_TASK_LIST.md": [TaskID(2): "orch's"]], used: [TaskID(7)])
        #expect(changed["WORKER_1_TASK_LIST.md"] == "- [ ] T-0001: orch's\n- [ ] T-0008: a person's, same id\n- [ ] T-0009: no id\n\\- [ ]\n\\- [ ]f\n")
        #expect(changed["WORKER_2_TASK_LIST.md"] == "- [ ] T-0002: orch's\n- [ ] T-0010: reused id of a deleted task\n")
        for text in changed.values { #expect(throws: Never.self) { try TaskList(parsing: text) } }
    }
}
