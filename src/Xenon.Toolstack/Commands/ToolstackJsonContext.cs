using System.Text.Json.Serialization;

namespace Xenon.Toolstack.Commands;

/// <summary>Source-generated JSON for the few values the commands encode (trimming-safe, no reflection).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class ToolstackJsonContext : JsonSerializerContext;
