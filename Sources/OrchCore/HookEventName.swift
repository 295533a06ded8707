import OrchWire

/// The hook events, spelled once in ``OrchWire`` (the forwarder shares them).
public typealias HookEventName = OrchWire.HookEventName
