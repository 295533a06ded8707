import Foundation

extension TemplateDirectory {
    /// Every instance's role prompt (`manager-prompt.md`, `worker-prompt.md`) for a workspace.
    /// - Throws: ``OrchError`` when a template cannot be read.
    public func rolePrompts(for workspace: Workspace, workerCount: Int) throws -> [InstanceName: String] {
        var prompts: [InstanceName: String] = [:]
        for instance in workspace.instances {
            var values = ["workerCount": String(workerCount), "worktree": workspace.layout.worktree(instance), "branch": workspace.target]
            if let number = instance.workerNumber { values["workerID"] = String(number) }
            prompts[instance] = try render("\(instance.role)-prompt.md", values)
        }
        return prompts
    }
}
