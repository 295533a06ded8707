import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct BranchTests {
    @Test func createLookUpAndListBranches() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        try repo.createBranch("orch/worker-2", at: tip)
        try repo.createBranch("orch/worker-1", at: tip)
        #expect(try repo.branchTip("orch/worker-1") == tip)
        #expect(try repo.branchTip("missing") == nil)
        #expect(try repo.branches(withPrefix: "orch/worker-") == ["orch/worker-1", "orch/worker-2"])
        #expect(try git("rev-parse", "orch/worker-2", in: dir("repo")) == tip.hex)
    }

    @Test func compareAndSwapRefusesAStaleExpectation() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let first = try #require(try repo.branchTip("main"))
        let second = ObjectID(hex: try Fixtures.commit(["b": "b"], on: "main", message: "b", in: dir("repo")))!
        let third = ObjectID(hex: try Fixtures.commit(["c": "c"], on: "side", from: first.hex, message: "c", in: dir("repo")))!
        #expect {
            try repo.updateBranch("main", to: third, expecting: first, message: "stale")
        } throws: { ($0 as? GitError)?.code == .modified }
        #expect(try repo.branchTip("main") == second)
        try repo.updateBranch("main", to: third, expecting: second, message: "fresh")
        #expect(try repo.branchTip("main") == third)
    }
}
