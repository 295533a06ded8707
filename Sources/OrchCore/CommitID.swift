import GitKit

/// A commit's id as the layers above Core name it (they do not import GitKit):
/// the target's tip a task was delivered at, a conflict's tip.
public typealias CommitID = GitKit.ObjectID
