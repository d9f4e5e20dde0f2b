namespace Xenon.Devices.State;

/// <summary>Applies a parsed state through a device model's SetState, turning its refusal into a <see cref="DeviceStateException"/>.</summary>
public static class StateApply
{
    public static void Apply<T>(string kind, T state, Action<T> setState)
    {
        ArgumentNullException.ThrowIfNull(setState);
        try
        {
            setState(state);
        }
        catch (ArgumentException e)
        {
            throw new DeviceStateException($"{kind} state: {MessageOf(e)}", e);
        }
    }

    /// <summary>The model's message without the " (Parameter 'state')" suffix: the parameter means nothing to whoever reads the error.</summary>
    public static string MessageOf(ArgumentException e)
    {
        string message = e.Message;
        if (e.ParamName is { } name)
        {
            string suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        }
        return message;
    }
}
