namespace Xenon.Domain.Tests.Migration;

/// <summary>Runs one side of a migration on a thread of its own; <see cref="Result"/> and <see cref="Error"/> wait for it.</summary>
internal sealed class OnThread<T>
{
    private readonly Thread _thread;
    private T? _result;
    private Exception? _error;

    public OnThread(Func<T> body)
    {
        _thread = new Thread(() =>
        {
            try
            {
                _result = body();
            }
            catch (Exception e)
            {
                _error = e;
            }
        }) { IsBackground = true, Name = "migration-test-peer" };
        _thread.Start();
    }

    public T Result
    {
        get
        {
            Join();
            if (_error is not null) throw new InvalidOperationException($"the peer failed: {_error.Message}", _error);
            return _result!;
        }
    }

    public Exception Error
    {
        get
        {
            Join();
            return _error ?? throw new InvalidOperationException("the peer did not fail");
        }
    }

    public void Join()
    {
        if (!_thread.Join(TimeSpan.FromSeconds(30))) throw new TimeoutException("the peer did not finish within 30 s");
    }
}
