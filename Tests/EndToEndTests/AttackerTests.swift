import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

/// Issue #14's review, tried from inside a real worker container by code its
/// agent runs: every attempt fails, the server keeps serving and the run
/// finishes with every task merged once, and nothing is written outside the state.
@Suite(.serialized) struct AttackerTests {
    @Test func aHostileWorkerCannotMoveOtherRefsReachServerFilesOrUnhookItself() async throws {
        let marker = "/tmp/orch-attack-\(UUID().uuidString.prefix(8))"
        // Each line reports what it tried; "BROKE:" means the attempt worked. Forced, so that git itself does not refuse a
        // push that is not a fast-forward of what the clone saw (worker-2 may have moved on): orch's server must.
        let attack = """
            log="$HOME/attack.log"; {
            evil="$(git commit-tree "HEAD^{tree}" -p HEAD -p main -m evil)"
            git push -f origin "$evil:refs/heads/main" && echo "BROKE: pushed main"
            git push -f origin "$evil:refs/heads/orch/worker-2" && echo "BROKE: pushed worker-2"
            git push -f origin "$evil:refs/tags/evil" && echo "BROKE: pushed a tag"
            git push origin :refs/heads/orch/worker-1 && echo "BROKE: deleted its branch"
            git push -f origin "$(git rev-list --max-parents=0 HEAD | head -n 1):refs/heads/orch/worker-1" && echo "BROKE: rewound its branch"
            echo "config $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ORCH_TOKEN" "$ORCH_URL/git/repo.git/config")"
            echo "assign $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ORCH_TOKEN" -d '{"worker": 2, "text": "evil"}' "$ORCH_URL/command/assign")"
            echo "merge $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ORCH_TOKEN" -d '{"branches": ["worker-2"], "all": false}' "$ORCH_URL/command/merge")"
            echo "notoken $(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$ORCH_URL/hook/Stop")"
            ls "$ORCH_WORKTREE/../../run/tokens.json" 2>/dev/null && echo "BROKE: sees the server's tokens"
            ls "$ORCH_WORKTREE/../../repo.git/HEAD" 2>/dev/null && echo "BROKE: sees the server's clone"
            echo x >> "$HOME/.claude/settings.json" 2>/dev/null && echo "BROKE: wrote its settings"
            echo x > /etc/claude-code/managed-settings.json 2>/dev/null && echo "BROKE: wrote the managed settings"
            echo x > /usr/local/bin/orch 2>/dev/null && echo "BROKE: replaced orch"
            git config core.worktree \(marker) && git config core.hooksPath \(marker)-hooks
            mkdir -p .claude && echo '{"disableAllHooks": true}' > .claude/settings.local.json
            echo done
            } > "$log" 2>&1; git config --unset core.worktree; git config --unset core.hooksPath; rm -f .claude/settings.local.json; true
            """
        let run = try await Run(attack: attack)
        let serve = try run.startServe()
        try await withCleanup {
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 300)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()
            let log = try String(contentsOfFile: run.dir("state", "homes", "worker-1", "attack.log"), encoding: .utf8)
            #expect(log.contains("done"), "the attack ran to its end: \(log)")
            #expect(!log.contains("BROKE:"), "\(log)")
            for line in ["config 404", "assign 403", "merge 403", "notoken 401"] {
                #expect(log.contains(line), "\(line) expected: \(log)")
            }
            #expect(log.components(separatedBy: "may push only refs/heads/orch/worker-1").count == 4, "main, worker-2 and the tag refused by orch: \(log)")
            // Nothing of the attack's reached the server or the host.
            let refs = try git("for-each-ref", "--format=%(refname)", in: run.dir("state", "repo.git"))
            #expect(!refs.contains("refs/tags/evil"))
            #expect(!FileManager.default.fileExists(atPath: marker) && !FileManager.default.fileExists(atPath: marker + "-hooks"))
            let subjects = try git("log", "--format=%s", "--all", in: run.dir("state", "repo.git"))
            #expect(!subjects.split(separator: "\n").contains("evil"), "the attack's commit is on no ref of the server's")
            #expect(try git("show", "main:WORKER_2_TASK_LIST.md", in: run.dir("state", "repo.git")).contains("evil") == false)
            try await run.stop(serve)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    /// The rest of the review, from the same place: a flood of fake rate limits (a reset in the year 2286, transcripts at
    /// /dev/zero, a FIFO and a symlink in its own home), 300 connections held open, and a request trickled byte by byte.
    /// The pool is walked no faster than one file a window, no reset is believed past 8 days, the slow request is
    /// dropped, and the run finishes with every task merged once.
    @Test func aHostileWorkerCannotWalkThePoolOrStallTheServer() async throws {
        // The connections first; the rate-limit flood last, since acting on it restarts this very container. Once only:
        // the resumed conversation plays the task's rules again.
        let attack = #"""
            [ -e "$HOME/flood.log" ] && exit 0; log="$HOME/flood.log"; {
            address="${ORCH_URL#http://}"; host="${address%:*}"; port="${address##*:}"
            held=0; for i in $(seq 300); do exec {fd}<>"/dev/tcp/$host/$port" && fds+=("$fd") && held=$((held + 1)); done
            echo "held $held"
            exec {slow}<>"/dev/tcp/$host/$port"; printf 'POST /hook/Stop HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' >&"$slow"
            sleep 7; for fd in "${fds[@]}"; do exec {fd}>&-; done
            start=$SECONDS; while (( SECONDS - start < 30 )) && ( printf x >&"$slow" ) 2>/dev/null; do sleep 1; done
            echo "slow dropped after $((SECONDS - start)) s"
            echo "status $(curl -s -o /dev/null -w '%{http_code}' -m 20 -H "Authorization: Bearer $ORCH_TOKEN" "$ORCH_URL/status")"
            projects="$HOME/.claude/projects/-evil"; mkdir -p "$projects"
            mkfifo "$projects/fifo.jsonl"; ln -sf /etc/shadow "$projects/shadow.jsonl"
            for transcript in /dev/zero "$projects/fifo.jsonl" "$projects/shadow.jsonl" /dev/zero "$projects/fifo.jsonl"; do
              for i in 1 2 3 4 5 6; do
                echo "flood $(curl -s -o /dev/null -w '%{http_code}' -m 20 -X POST -H "Authorization: Bearer $ORCH_TOKEN" \
                  -d "{\"session_id\": \"x\", \"hook_event_name\": \"StopFailure\", \"error\": \"rate_limit\", \"transcript_path\": \"$transcript\", \"last_assistant_message\": \"You've hit your limit · resets_at=9999999999\"}" \
                  "$ORCH_URL/hook/StopFailure")"
              done
            done
            } > "$log" 2>&1; true
            """#
        let run = try await Run(spareCredentials: 2, attack: attack)
        let serve = try run.startServe()
        try await withCleanup {
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 300)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()
            let log = try String(contentsOfFile: run.dir("state", "homes", "worker-1", "flood.log"), encoding: .utf8)
            #expect(log.contains("held ") && log.contains("status 200"), "the server answered after the connections: \(log)")
            // The first signal restarts this container: how many more went out before that varies; each was answered.
            let answered = log.split(separator: "\n").filter { $0.hasPrefix("flood ") }
            #expect(!answered.isEmpty && answered.allSatisfy { $0 == "flood 200" }, "\(log)")
            let dropped = log.split(separator: "\n").first { $0.hasPrefix("slow dropped after") }.flatMap { Int($0.split(separator: " ")[3]) }
            #expect(dropped.map { $0 < 30 } == true, "the trickled request was dropped: \(log)")
            // 30 signals in a few seconds: acted on once, one more kept for the next window; never past 8 days.
            let events = ServeTests.events(run.dir)
            let rotations = events.filter { $0["event"] == "rotated" && $0["instance"] == "worker-1" }
            #expect((1...2).contains(rotations.count), "\(events.filter { ["rate-limited", "rotated", "paused"].contains($0["event"]) })")
            // The claimed reset (9999999999: the year 2286) is read, and taken as 8 days.
            let latest = Date().addingTimeInterval(8 * 86_400 + 3600)
            let limits = try events.filter { $0["event"] == "rate-limited" }.map { try #require($0["until"].flatMap { try? Date($0, strategy: .iso8601) }) }
            #expect(!limits.isEmpty && limits.allSatisfy { $0 < latest }, "a reset past 8 days was believed: \(limits)")
            #expect(limits.contains { $0 > Date().addingTimeInterval(7 * 86_400) }, "the claim was read and capped: \(limits)")
            #expect(!events.contains { $0["event"] == "rotated" && $0["instance"] != "worker-1" }, "only the flooding instance moved")
            try await run.stop(serve)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }
}

private typealias Run = TaskFlowTests.Run
