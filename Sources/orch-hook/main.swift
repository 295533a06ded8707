#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// `orch-hook EVENT`: what Claude Code runs for each of orch's hooks (the image's
// managed settings). Kept apart from `orch` so that a hook costs a process
// start of about a millisecond; see HookForwarder for what it does and when it
// hands over to the full `orch hook`.
let arguments = CommandLine.arguments
guard arguments.count == 2, !arguments[1].isEmpty, !arguments[1].hasPrefix("-") else {
    Output.warn("usage: orch-hook EVENT, with the hook's JSON on stdin")
    // Not 2: a Stop hook's exit 2 would block the turn with this text.
    exit(1)
}
HookForwarder(event: arguments[1]).run()
exit(0)
