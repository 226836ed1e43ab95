using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace KernelSafety.Runtime;

/// <summary>
/// A reusable <see cref="SocketAsyncEventArgs"/> that can be awaited without allocating. Unlike the
/// <c>ValueTask</c> overloads of <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>, it
/// keeps <see cref="SocketAsyncEventArgs.BytesTransferred"/> when the operation is aborted, so a caller can be told
/// exactly how many bytes went out.
/// </summary>
internal sealed class AwaitableSocketArgs : SocketAsyncEventArgs, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core;

    public AwaitableSocketArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _core.RunContinuationsAsynchronously = true;
    }

    public void Prepare() => _core.Reset();

    public ValueTask WaitAsync() => new(this, _core.Version);

    protected override void OnCompleted(SocketAsyncEventArgs e) => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
