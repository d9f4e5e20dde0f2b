using System.Text.Json;
using System.Text.Json.Serialization;

namespace Xenon.Domain.Process;

/// <summary>The JSON form of a <see cref="DomainSpec"/> that the toolstack hands a domain process.</summary>
public static class DomainSpecJson
{
    // Written and read by hand (DomainSpecJsonWriter/Reader): the serializer's metadata for DomainSpec cost a
    // NativeAOT create ~100 ms of its one CPU on first use. The context below keeps DomainSpec as the reference
    // format the tests compare against.
    public static string Serialize(DomainSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return DomainSpecJsonWriter.Write(spec);
    }

    /// <summary>Parses a spec; a malformed file is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static DomainSpec Deserialize(string json, string source)
    {
        try
        {
            return DomainSpecJsonReader.Read(json)
                ?? throw new InvalidDataException($"{source}: empty domain spec");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: malformed domain spec: {e.Message}", e);
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(DomainSpec))]
[JsonSerializable(typeof(string))]
internal sealed partial class DomainSpecJsonContext : JsonSerializerContext;
