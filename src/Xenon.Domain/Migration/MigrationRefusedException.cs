namespace Xenon.Domain.Migration;

/// <summary>The peer said no (an Error frame); the message is its reason.</summary>
public sealed class MigrationRefusedException(string reason) : Exception(reason);
