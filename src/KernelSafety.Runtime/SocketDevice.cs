using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelSafety.Runtime;

/// <summary>
/// The device-write-to-socket path done right: <see cref="Write"/> and <see cref="WriteAsync"/> have write(2)
/// semantics (they return the number of bytes accepted, and exactly those bytes go out, plus framing if chosen),
/// over one persistent, checked TCP connection that is re-established after a failure.
/// </summary>
/// <remarks>
/// <para>Thread-safe: writers are serialized, so a message is never interleaved with another writer's bytes.
/// There is no user-space queue: a writer waits while the peer is slow, so memory stays bounded.</para>
/// <para>A write either completes (returns its length) or throws <see cref="SocketDeviceException"/> carrying the
/// socket error and <see cref="SocketDeviceException.BytesWritten"/>. An oversized write throws
/// <see cref="ArgumentOutOfRangeException"/> naming the limit (or is split, if <see cref="SocketDeviceOptions.OversizedWrite"/> says so).</para>
/// <para>Steady-state writes allocate nothing.</para>
/// <para>Opt-in coalescing (<see cref="SocketDeviceOptions.Coalesce"/>): writes are framed into an internal buffer and
/// return at once; the buffer is sent when the next message does not fit, within <see cref="SocketDeviceOptions.CoalesceDelay"/>
/// (a timer armed when a byte enters the empty buffer), on <see cref="Flush"/>/<see cref="FlushAsync"/>, and on disposal.
/// A message never straddles another writer's message. If sending the buffer fails in the background, the failure is
/// remembered and the next <see cref="Write"/>, <see cref="WriteAsync"/>, <see cref="Flush"/> or dispose throws a
/// <see cref="SocketDeviceException"/> with <see cref="SocketDeviceException.BufferedBytesLost"/> (that call's own
/// write is then not accepted); the lost bytes are dropped once reported and the next write re-establishes the connection.</para>
/// </remarks>
public sealed class SocketDevice : IDisposable, IAsyncDisposable
{
    private const int LengthPrefixSize = 4;

    /// <summary>Length-prefixed payloads up to this size leave in one send together with their prefix.</summary>
    private const int CoalesceLimit = 16 * 1024;

    /// <summary>1 ms: writes closer together than this skip the peer-closed check.</summary>
    private static readonly long IdleCheckTicks = Stopwatch.Frequency / 1000;

    private const int AbortNone = 0;
    private const int AbortCancelled = 1;
    private const int AbortTimedOut = 2;

    private static readonly Action<object?> s_abortCancelled = static state => ((SocketDevice)state!).AbortPendingSend(AbortCancelled);
    private static readonly Action<object?> s_abortTimedOut = static state => ((SocketDevice)state!).AbortPendingSend(AbortTimedOut);
    private static readonly TimerCallback s_flushTimer = static state => ((SocketDevice)state!).OnFlushTimer();

    private readonly SocketDeviceOptions _options;
    private readonly IPEndPoint _endPoint;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _scratch;
    private readonly int _frameLimit;
    private readonly string _limitName;

    // Coalescing (null/unused unless SocketDeviceOptions.Coalesce); all state below is guarded by _gate.
    private readonly byte[]? _coalesceBuffer;
    private readonly Timer? _flushTimer;
    private readonly long _coalesceDelayMs;
    private int _buffered;
    private bool _timerArmed;
    private volatile bool _flushDue; // set by the timer when the gate was busy: the holder flushes before releasing it
    private SocketDeviceException? _deferredFailure;

    private Socket? _socket;
    private AwaitableSocketArgs? _sendArgs;
    private CancellationTokenSource? _timeoutCts;
    private Socket? _pendingSocket;
    private int _abortReason;
    private long _connectionCount;
    private long _lastActivity;
    private volatile bool _disposed;

    /// <summary>Creates a device for the destination and framing in <paramref name="options"/>. Nothing connects until the first write.</summary>
    /// <exception cref="ArgumentException">The destination is not loopback and <see cref="SocketDeviceOptions.AllowNonLoopback"/> is false, or a setting is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The port is 0 or a size or timeout is out of range.</exception>
    public SocketDevice(SocketDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();

        IPAddress address = _options.Address ?? throw new ArgumentException("SocketDeviceOptions.Address must be set.", nameof(options));
        if (!_options.Port.IsValidDestination)
        {
            throw new ArgumentOutOfRangeException(nameof(options), 0, "SocketDeviceOptions.Port must be 1..65535 (0 is not a destination).");
        }

        if (!_options.AllowNonLoopback && !IsLoopback(address))
        {
            throw new ArgumentException(
                $"Destination {address} is not a loopback address; SocketDevice sends only to loopback (127.0.0.0/8, ::1) " +
                "unless SocketDeviceOptions.AllowNonLoopback is set. No connection was attempted.",
                nameof(options));
        }

        if (_options.Framing is not (SocketDeviceFraming.Raw or SocketDeviceFraming.LengthPrefixed or SocketDeviceFraming.FixedRecord))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Framing, "Unknown SocketDeviceOptions.Framing.");
        }

        if (_options.OversizedWrite is not (OversizedWriteBehavior.Reject or OversizedWriteBehavior.Split))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.OversizedWrite, "Unknown SocketDeviceOptions.OversizedWrite.");
        }

        CheckTimeout(_options.ConnectTimeout, "ConnectTimeout");
        CheckTimeout(_options.SendTimeout, "SendTimeout");
        if (_options.SendBufferSize != 0
            && (_options.SendBufferSize < SocketDeviceOptions.MinSendBufferSize || _options.SendBufferSize > SocketDeviceOptions.MaxSendBufferSize))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.SendBufferSize,
                $"SocketDeviceOptions.SendBufferSize must be 0 (the OS decides) or {SocketDeviceOptions.MinSendBufferSize}..{SocketDeviceOptions.MaxSendBufferSize} bytes.");
        }

        _endPoint = new IPEndPoint(address, _options.Port.Value);
        switch (_options.Framing)
        {
            case SocketDeviceFraming.FixedRecord:
                if (_options.RecordSize < 1 || _options.RecordSize > SocketDeviceOptions.MaxRecordSize)
                {
                    throw new ArgumentOutOfRangeException(nameof(options), _options.RecordSize,
                        $"SocketDeviceOptions.RecordSize must be 1..{SocketDeviceOptions.MaxRecordSize}.");
                }

                _frameLimit = _options.RecordSize;
                _limitName = "SocketDeviceOptions.RecordSize";
                _scratch = new byte[_options.RecordSize];
                break;
            default:
                if (_options.MaxWriteSize < 1)
                {
                    throw new ArgumentOutOfRangeException(nameof(options), _options.MaxWriteSize, "SocketDeviceOptions.MaxWriteSize must be at least 1.");
                }

                _frameLimit = _options.MaxWriteSize;
                _limitName = "SocketDeviceOptions.MaxWriteSize";
                _scratch = _options.Framing == SocketDeviceFraming.LengthPrefixed
                    ? new byte[LengthPrefixSize + Math.Min(CoalesceLimit, _options.MaxWriteSize)]
                    : [];
                break;
        }

        if (_options.CoalesceBufferSize < SocketDeviceOptions.MinCoalesceBufferSize || _options.CoalesceBufferSize > SocketDeviceOptions.MaxCoalesceBufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.CoalesceBufferSize,
                $"SocketDeviceOptions.CoalesceBufferSize must be {SocketDeviceOptions.MinCoalesceBufferSize}..{SocketDeviceOptions.MaxCoalesceBufferSize} bytes (default 65536).");
        }

        if (_options.CoalesceDelay < SocketDeviceOptions.MinCoalesceDelay || _options.CoalesceDelay > SocketDeviceOptions.MaxCoalesceDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.CoalesceDelay,
                $"SocketDeviceOptions.CoalesceDelay must be {SocketDeviceOptions.MinCoalesceDelay.TotalMilliseconds:0} ms..{SocketDeviceOptions.MaxCoalesceDelay.TotalSeconds:0} s (default 1 ms).");
        }

        if (_options.Coalesce)
        {
            _coalesceBuffer = new byte[_options.CoalesceBufferSize];
            _coalesceDelayMs = (long)Math.Ceiling(_options.CoalesceDelay.TotalMilliseconds);
            bool suppress = !ExecutionContext.IsFlowSuppressed();
            AsyncFlowControl flow = suppress ? ExecutionContext.SuppressFlow() : default;
            try
            {
                // Not armed yet; while armed it keeps the device reachable, so buffered bytes go out even if the owner forgets it.
                _flushTimer = new Timer(s_flushTimer, this, Timeout.Infinite, Timeout.Infinite);
            }
            finally
            {
                if (suppress)
                {
                    flow.Undo();
                }
            }
        }
    }

    /// <summary>The destination (host-order port).</summary>
    public IPEndPoint RemoteEndPoint => _endPoint;

    /// <summary>The framing in use.</summary>
    public SocketDeviceFraming Framing => _options.Framing;

    /// <summary>The largest payload of one message (or record); larger writes are rejected or split.</summary>
    public int WriteLimit => _frameLimit;

    /// <summary>True while a connection is open.</summary>
    public bool IsConnected => _socket is not null;

    /// <summary>How many connections this device has established so far (1 while the first one is reused).</summary>
    public long ConnectionCount => Interlocked.Read(ref _connectionCount);

    /// <summary>True when writes are coalesced (<see cref="SocketDeviceOptions.Coalesce"/>).</summary>
    public bool IsCoalescing => _coalesceBuffer is not null;

    /// <summary>
    /// Sends <paramref name="buffer"/> as one write: connects if needed, sends every byte (completing partial sends)
    /// and returns <c>buffer.Length</c>. An empty buffer returns 0 and sends nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The write exceeds <see cref="WriteLimit"/> and splitting was not chosen; nothing was sent.</exception>
    /// <exception cref="SocketDeviceException">The connect or send failed; <see cref="SocketDeviceException.BytesWritten"/> tells how much went out.</exception>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    public int Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfDisposed();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        CheckSize(buffer.Length);
        _gate.Wait();
        try
        {
            ThrowIfDisposed();
            if (_coalesceBuffer is not null)
            {
                ThrowDeferredFailure(buffer.Length);
                long framed = FramedLength(buffer.Length);
                if (framed > _coalesceBuffer.Length - _buffered)
                {
                    if (_buffered > 0)
                    {
                        FlushBufferLocked(buffer.Length);
                    }

                    if (framed > _coalesceBuffer.Length)
                    {
                        goto direct; // larger than the buffer: sent now, after the bytes buffered before it
                    }
                }

                AppendFrames(buffer);
                if (_flushDue)
                {
                    FlushDueLocked();
                }

                return buffer.Length;
            }

        direct:
            bool retried = false;
            while (true)
            {
                bool fresh = EnsureConnected();
                Progress progress = default;
                SocketError error = SendFrames(buffer, ref progress);
                if (error == SocketError.Success)
                {
                    return buffer.Length;
                }

                CloseConnection(graceful: false);
                if (!fresh && !retried && progress.Wire == 0 && IsConnectionLoss(error))
                {
                    retried = true; // the reused connection was dead and nothing of this write went out: reconnect and resend
                    continue;
                }

                throw SendFailed(error, progress.Payload, buffer.Length);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Asynchronous <see cref="Write"/>. Cancellation before any byte went out throws <see cref="OperationCanceledException"/>
    /// and leaves the connection usable; cancellation after some bytes went out closes the connection (the peer may have a
    /// partial message) and throws <see cref="SocketDeviceException"/> with <see cref="SocketError.OperationAborted"/> and the byte count.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        CheckSize(buffer.Length);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (_coalesceBuffer is not null)
            {
                ThrowDeferredFailure(buffer.Length);
                long framed = FramedLength(buffer.Length);
                if (framed > _coalesceBuffer.Length - _buffered)
                {
                    if (_buffered > 0)
                    {
                        await FlushBufferLockedAsync(buffer.Length, cancellationToken).ConfigureAwait(false);
                    }

                    if (framed > _coalesceBuffer.Length)
                    {
                        goto direct;
                    }
                }

                AppendFrames(buffer.Span);
                if (_flushDue)
                {
                    await FlushDueLockedAsync(cancellationToken).ConfigureAwait(false);
                }

                return buffer.Length;
            }

        direct:
            bool retried = false;
            while (true)
            {
                bool fresh = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
                long deadline = Deadline(_options.SendTimeout);
                Progress progress = default;
                SendResult result = new(SocketError.Success, 0, false);
                int offset = 0;
                do
                {
                    int chunk = Math.Min(buffer.Length - offset, _frameLimit);
                    Frame frame = BuildFrame(buffer.Span.Slice(offset, chunk));
                    if (frame.ScratchLength > 0)
                    {
                        result = await SendAllAsync(_scratch.AsMemory(0, frame.ScratchLength), deadline, cancellationToken).ConfigureAwait(false);
                        progress.Wire += result.Sent;
                        progress.Payload += frame.PayloadOutOf(result.Sent);
                        if (result.Error != SocketError.Success)
                        {
                            break;
                        }
                    }

                    if (frame.PayloadSeparate)
                    {
                        result = await SendAllAsync(buffer.Slice(offset, chunk), deadline, cancellationToken).ConfigureAwait(false);
                        progress.Wire += result.Sent;
                        progress.Payload += result.Sent;
                        if (result.Error != SocketError.Success)
                        {
                            break;
                        }
                    }

                    offset += chunk;
                }
                while (offset < buffer.Length);

                if (result.Error == SocketError.Success)
                {
                    return buffer.Length;
                }

                if (result.Cancelled)
                {
                    if (progress.Wire == 0 && Volatile.Read(ref _abortReason) == AbortNone)
                    {
                        throw new OperationCanceledException(cancellationToken);
                    }

                    CloseConnection(graceful: false);
                    throw new SocketDeviceException(
                        $"Write to {_endPoint} was cancelled after {progress.Payload} of {buffer.Length} bytes went out; " +
                        "the connection was closed (the peer may have received a partial message) and will be re-established on the next write.",
                        SocketError.OperationAborted, progress.Payload, new OperationCanceledException(cancellationToken));
                }

                CloseConnection(graceful: false);
                if (!fresh && !retried && progress.Wire == 0 && IsConnectionLoss(result.Error))
                {
                    retried = true;
                    continue;
                }

                throw SendFailed(result.Error, progress.Payload, buffer.Length);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// With <see cref="SocketDeviceOptions.Coalesce"/>, sends every buffered byte now (connecting if needed) and returns
    /// when the kernel has accepted them all. Without coalescing there is nothing to flush and it returns at once.
    /// </summary>
    /// <exception cref="SocketDeviceException">Sending the buffer failed now or in the background;
    /// <see cref="SocketDeviceException.BufferedBytesLost"/> tells how many buffered bytes were not delivered (they are dropped).</exception>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    public void Flush()
    {
        ThrowIfDisposed();
        if (_coalesceBuffer is null)
        {
            return;
        }

        _gate.Wait();
        try
        {
            ThrowIfDisposed();
            ThrowDeferredFailure(0);
            if (_buffered > 0)
            {
                FlushBufferLocked(0);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Asynchronous <see cref="Flush"/>. Cancellation before any byte went out throws
    /// <see cref="OperationCanceledException"/> and keeps the buffered bytes; after some went out, the connection is closed
    /// and <see cref="SocketDeviceException"/> (<see cref="SocketError.OperationAborted"/>) reports the bytes not delivered.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        if (_coalesceBuffer is null)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            ThrowDeferredFailure(0);
            if (_buffered > 0)
            {
                await FlushBufferLockedAsync(0, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits for writes in progress, sends any coalesced bytes, then closes the connection gracefully (every
    /// accepted byte is handed to the kernel before the FIN). Later writes throw <see cref="ObjectDisposedException"/>.</summary>
    /// <exception cref="SocketDeviceException">With coalescing: buffered bytes could not be delivered (now or by an earlier
    /// background flush); the device is disposed all the same.</exception>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        SocketDeviceException? failure = null;
        _gate.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            if (_coalesceBuffer is not null)
            {
                try
                {
                    ThrowDeferredFailure(0);
                    if (_buffered > 0)
                    {
                        FlushBufferLocked(0);
                    }
                }
                catch (SocketDeviceException ex)
                {
                    failure = ex;
                }
            }

            DisposeLocked();
        }
        finally
        {
            _gate.Release();
        }

        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        SocketDeviceException? failure = null;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            if (_coalesceBuffer is not null)
            {
                try
                {
                    ThrowDeferredFailure(0);
                    if (_buffered > 0)
                    {
                        await FlushBufferLockedAsync(0, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (SocketDeviceException ex)
                {
                    failure = ex;
                }
            }

            DisposeLocked();
        }
        finally
        {
            _gate.Release();
        }

        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>True for 127.0.0.0/8, ::1 and their IPv4-mapped forms.</summary>
    internal static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));

    private void DisposeLocked()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _flushTimer?.Dispose(); // a callback already waiting for the gate finds the device disposed and returns
        _buffered = 0;
        CloseConnection(graceful: true);
        _timeoutCts?.Dispose();
        _timeoutCts = null;
    }

    /// <summary>Bytes the write occupies on the wire: payload plus length prefixes, or whole records.</summary>
    private long FramedLength(int length)
    {
        long frames = ((long)length + _frameLimit - 1) / _frameLimit;
        return _options.Framing switch
        {
            SocketDeviceFraming.LengthPrefixed => length + (frames * LengthPrefixSize),
            SocketDeviceFraming.FixedRecord => frames * _frameLimit,
            _ => length,
        };
    }

    /// <summary>Frames the write into the coalescing buffer (the caller checked it fits) and arms the flush timer if the buffer was empty.</summary>
    private void AppendFrames(ReadOnlySpan<byte> buffer)
    {
        Span<byte> target = _coalesceBuffer;
        bool wasEmpty = _buffered == 0;
        int at = _buffered;
        int offset = 0;
        do
        {
            int chunk = Math.Min(buffer.Length - offset, _frameLimit);
            ReadOnlySpan<byte> payload = buffer.Slice(offset, chunk);
            switch (_options.Framing)
            {
                case SocketDeviceFraming.LengthPrefixed:
                    BinaryPrimitives.WriteUInt32BigEndian(target.Slice(at), (uint)chunk);
                    at += LengthPrefixSize;
                    payload.CopyTo(target.Slice(at));
                    at += chunk;
                    break;
                case SocketDeviceFraming.FixedRecord:
                    payload.CopyTo(target.Slice(at));
                    target.Slice(at + chunk, _frameLimit - chunk).Clear();
                    at += _frameLimit;
                    break;
                default:
                    payload.CopyTo(target.Slice(at));
                    at += chunk;
                    break;
            }

            offset += chunk;
        }
        while (offset < buffer.Length);

        _buffered = at;
        if (wasEmpty)
        {
            // A flush the timer asked for concerned bytes already sent (it re-armed itself, so these are covered too).
            _flushDue = false;
            if (!_timerArmed)
            {
                _timerArmed = true;
                _flushTimer!.Change(_coalesceDelayMs, Timeout.Infinite);
            }

            // else: armed for bytes already sent; it fires sooner than CoalesceDelay, which is allowed.
        }
    }

    /// <summary>
    /// The flush timer: sends what is buffered; a failure is remembered and thrown by the next call. It never blocks a
    /// thread-pool thread waiting for the gate: if a writer holds it, the writer is asked to flush before releasing it
    /// (<see cref="_flushDue"/>), and the timer retries shortly in case that writer had already passed the check.
    /// </summary>
    private void OnFlushTimer()
    {
        if (_disposed)
        {
            return;
        }

        if (!_gate.Wait(0))
        {
            _flushDue = true;
            if (!_gate.Wait(0))
            {
                try
                {
                    _flushTimer!.Change(1, Timeout.Infinite); // still armed (_timerArmed stays true)
                }
                catch (ObjectDisposedException)
                {
                    // Disposed meanwhile: Dispose flushed.
                }

                return;
            }
        }

        try
        {
            _timerArmed = false;
            if (!_disposed && _buffered > 0)
            {
                FlushDueLocked();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A flush of bytes already accepted (timer, or a writer asked by the timer): a failure is remembered for the next call.</summary>
    private void FlushDueLocked()
    {
        try
        {
            FlushBufferLocked(0);
        }
        catch (SocketDeviceException ex)
        {
            _deferredFailure = ex; // the buffer was empty when the last failure was reported, so none is pending
        }
        catch (Exception ex)
        {
            // Not expected; never let it escape on the timer thread (that would end the process).
            int lost = _buffered;
            _buffered = 0;
            CloseConnection(graceful: false);
            _deferredFailure = new SocketDeviceException(
                $"Sending {lost} buffered bytes to {_endPoint} failed unexpectedly ({ex.GetType().Name}: {ex.Message}); they were not delivered and have been dropped.",
                SocketError.SocketError, 0, ex) { BufferedBytesLost = lost };
        }
    }

    /// <inheritdoc cref="FlushDueLocked"/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushDueLockedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushBufferLockedAsync(0, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The write was accepted; nothing went out and the bytes stay buffered for the timer (still armed).
            _flushDue = true;
        }
        catch (SocketDeviceException ex)
        {
            _deferredFailure = ex;
        }
    }

    /// <summary>Throws (once) the failure of a background flush, if one happened since the last call.</summary>
    private void ThrowDeferredFailure(int pendingWrite)
    {
        if (_deferredFailure is { } failure)
        {
            _deferredFailure = null;
            throw new SocketDeviceException(
                $"A background flush failed: {failure.Message}{NotAccepted(pendingWrite)}",
                failure.SocketError, 0, failure) { BufferedBytesLost = failure.BufferedBytesLost };
        }
    }

    private static string NotAccepted(int pendingWrite) =>
        pendingWrite > 0 ? $" This write ({pendingWrite} bytes) was not accepted; nothing of it was sent." : "";

    /// <summary>Sends the coalescing buffer (connecting if needed). On failure the buffered bytes are dropped and the
    /// exception reports how many were not delivered; <paramref name="pendingWrite"/> is the size of the write waiting
    /// for room (0 for none), which is then not accepted.</summary>
    private void FlushBufferLocked(int pendingWrite)
    {
        _flushDue = false;
        int length = _buffered;
        bool retried = false;
        while (true)
        {
            bool fresh;
            try
            {
                fresh = EnsureConnected();
            }
            catch (SocketDeviceException ex)
            {
                _buffered = 0;
                throw BufferFailed(ex.SocketError, $"failed: could not connect ({ex.SocketError})", 0, length, pendingWrite, ex);
            }

            SocketError error = SendAll(_coalesceBuffer.AsSpan(0, length), Deadline(_options.SendTimeout), out int sent);
            if (error == SocketError.Success)
            {
                _buffered = 0;
                return;
            }

            CloseConnection(graceful: false);
            if (!fresh && !retried && sent == 0 && IsConnectionLoss(error))
            {
                retried = true; // the reused connection was dead and nothing went out: reconnect and resend
                continue;
            }

            _buffered = 0;
            throw BufferFailed(error, null, sent, length, pendingWrite, new SocketException((int)error));
        }
    }

    /// <inheritdoc cref="FlushBufferLocked"/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushBufferLockedAsync(int pendingWrite, CancellationToken cancellationToken)
    {
        _flushDue = false;
        int length = _buffered;
        bool retried = false;
        while (true)
        {
            bool fresh;
            try
            {
                fresh = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SocketDeviceException ex)
            {
                _buffered = 0;
                throw BufferFailed(ex.SocketError, $"failed: could not connect ({ex.SocketError})", 0, length, pendingWrite, ex);
            }

            SendResult result = await SendAllAsync(_coalesceBuffer.AsMemory(0, length), Deadline(_options.SendTimeout), cancellationToken).ConfigureAwait(false);
            if (result.Error == SocketError.Success)
            {
                _buffered = 0;
                return;
            }

            if (result.Cancelled)
            {
                if (result.Sent == 0 && Volatile.Read(ref _abortReason) == AbortNone)
                {
                    throw new OperationCanceledException(cancellationToken); // nothing went out: the bytes stay buffered
                }

                CloseConnection(graceful: false);
                _buffered = 0;
                throw BufferFailed(SocketError.OperationAborted, "was cancelled", result.Sent, length, pendingWrite, new OperationCanceledException(cancellationToken));
            }

            CloseConnection(graceful: false);
            if (!fresh && !retried && result.Sent == 0 && IsConnectionLoss(result.Error))
            {
                retried = true;
                continue;
            }

            _buffered = 0;
            throw BufferFailed(result.Error, null, result.Sent, length, pendingWrite, new SocketException((int)result.Error));
        }
    }

    private SocketDeviceException BufferFailed(SocketError error, string? what, int sent, int length, int pendingWrite, Exception inner)
    {
        what ??= error == SocketError.TimedOut
            ? $"timed out after {_options.SendTimeout.TotalMilliseconds:0} ms (SocketDeviceOptions.SendTimeout)"
            : $"failed with {error}";
        int lost = length - sent;
        return new SocketDeviceException(
            $"Sending {length} buffered bytes (earlier writes, framing included) to {_endPoint} {what}; {sent} went out, " +
            $"{lost} buffered bytes were not delivered and have been dropped (the peer may hold a partial message); " +
            $"the connection will be re-established on the next write.{NotAccepted(pendingWrite)}",
            error, 0, inner) { BufferedBytesLost = lost };
    }

    private SocketError SendFrames(ReadOnlySpan<byte> buffer, ref Progress progress)
    {
        long deadline = Deadline(_options.SendTimeout);
        int offset = 0;
        do
        {
            int chunk = Math.Min(buffer.Length - offset, _frameLimit);
            ReadOnlySpan<byte> payload = buffer.Slice(offset, chunk);
            Frame frame = BuildFrame(payload);
            int sent;
            SocketError error;
            if (frame.ScratchLength > 0)
            {
                error = SendAll(_scratch.AsSpan(0, frame.ScratchLength), deadline, out sent);
                progress.Wire += sent;
                progress.Payload += frame.PayloadOutOf(sent);
                if (error != SocketError.Success)
                {
                    return error;
                }
            }

            if (frame.PayloadSeparate)
            {
                error = SendAll(payload, deadline, out sent);
                progress.Wire += sent;
                progress.Payload += sent;
                if (error != SocketError.Success)
                {
                    return error;
                }
            }

            offset += chunk;
        }
        while (offset < buffer.Length);

        return SocketError.Success;
    }

    /// <summary>Lays out one message: fills the scratch buffer (prefix, or prefix and payload, or a zero-padded record).</summary>
    private Frame BuildFrame(ReadOnlySpan<byte> payload)
    {
        switch (_options.Framing)
        {
            case SocketDeviceFraming.LengthPrefixed:
                BinaryPrimitives.WriteUInt32BigEndian(_scratch, (uint)payload.Length);
                if (payload.Length <= _scratch.Length - LengthPrefixSize)
                {
                    payload.CopyTo(_scratch.AsSpan(LengthPrefixSize));
                    return new Frame(LengthPrefixSize + payload.Length, false, LengthPrefixSize, payload.Length);
                }

                return new Frame(LengthPrefixSize, true, LengthPrefixSize, 0);
            case SocketDeviceFraming.FixedRecord:
                // payload.Length <= RecordSize == _scratch.Length (checked or split by the caller)
                payload.CopyTo(_scratch);
                _scratch.AsSpan(payload.Length).Clear();
                return new Frame(_scratch.Length, false, 0, payload.Length);
            default:
                return new Frame(0, true, 0, 0);
        }
    }

    /// <summary>Sends all of <paramref name="data"/> on the (non-blocking) socket, waiting for room while the peer is slow.</summary>
    private SocketError SendAll(ReadOnlySpan<byte> data, long deadline, out int sent)
    {
        Socket socket = _socket!;
        sent = 0;
        while (sent < data.Length)
        {
            int n = socket.Send(data.Slice(sent), SocketFlags.None, out SocketError error);
            if (error == SocketError.Success && n > 0)
            {
                sent += n;
                continue;
            }

            if (error != SocketError.Success && error != SocketError.WouldBlock)
            {
                return error;
            }

            int waitMicroseconds = RemainingMicroseconds(deadline);
            if (waitMicroseconds == 0)
            {
                return SocketError.TimedOut;
            }

            try
            {
                socket.Poll(waitMicroseconds, SelectMode.SelectWrite);
            }
            catch (SocketException ex)
            {
                return ex.SocketErrorCode;
            }
        }

        return SocketError.Success;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SendResult> SendAllAsync(ReadOnlyMemory<byte> data, long deadline, CancellationToken cancellationToken)
    {
        Socket socket = _socket!;
        int sent = 0;
        while (sent < data.Length)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return new SendResult(SocketError.OperationAborted, sent, true);
            }

            int n;
            SocketError error;
            try
            {
                n = socket.Send(data.Span.Slice(sent), SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                return AbortedResult(sent);
            }

            if (error == SocketError.Success && n > 0)
            {
                sent += n;
                continue;
            }

            if (error != SocketError.Success && error != SocketError.WouldBlock)
            {
                return new SendResult(error, sent, false);
            }

            // The peer is slow: hand the rest to the socket engine and wait without blocking a thread.
            TimeSpan remaining = RemainingTime(deadline);
            if (remaining == TimeSpan.Zero)
            {
                return new SendResult(SocketError.TimedOut, sent, false);
            }

            AwaitableSocketArgs args = _sendArgs!;
            args.SetBuffer(MemoryMarshal.AsMemory(data.Slice(sent)));
            args.Prepare();
            _pendingSocket = socket;
            CancellationTokenRegistration cancelRegistration = default;
            CancellationTokenRegistration timeoutRegistration = default;
            bool started = false;
            try
            {
                cancelRegistration = cancellationToken.UnsafeRegister(s_abortCancelled, this);
                if (remaining != Timeout.InfiniteTimeSpan)
                {
                    CancellationTokenSource timeout = _timeoutCts ??= new CancellationTokenSource();
                    timeout.CancelAfter(remaining);
                    timeoutRegistration = timeout.Token.UnsafeRegister(s_abortTimedOut, this);
                }

                started = true;
                if (socket.SendAsync(args))
                {
                    await args.WaitAsync().ConfigureAwait(false);
                }
            }
            catch (ObjectDisposedException)
            {
                started = false;
            }
            finally
            {
                cancelRegistration.Dispose();
                timeoutRegistration.Dispose();
                _pendingSocket = null;
                if (_timeoutCts is { } cts && !cts.TryReset())
                {
                    cts.Dispose();
                    _timeoutCts = null;
                }
            }

            if (!started)
            {
                return AbortedResult(sent);
            }

            sent += args.BytesTransferred;
            if (args.SocketError != SocketError.Success)
            {
                return Volatile.Read(ref _abortReason) == AbortNone ? new SendResult(args.SocketError, sent, false) : AbortedResult(sent);
            }
        }

        return new SendResult(SocketError.Success, sent, false);
    }

    private SendResult AbortedResult(int sent) => Volatile.Read(ref _abortReason) switch
    {
        AbortTimedOut => new SendResult(SocketError.TimedOut, sent, false),
        AbortCancelled => new SendResult(SocketError.OperationAborted, sent, true),
        _ => new SendResult(SocketError.OperationAborted, sent, false),
    };

    private void AbortPendingSend(int reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, reason, AbortNone) == AbortNone)
        {
            // Shut down sending first: the pending send fails, while bytes already accepted still reach the peer
            // (closing without it would reset the connection and drop them). The next write reconnects.
            Socket? socket = _pendingSocket;
            if (socket is not null)
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // Already gone.
                }

                socket.Dispose();
            }
        }
    }

    private bool EnsureConnected()
    {
        if (_socket is not null)
        {
            if (Volatile.Read(ref _abortReason) == AbortNone && !PeerClosedWhileIdle(_socket))
            {
                return false;
            }

            CloseConnection(graceful: false);
        }

        Socket socket = NewSocket();
        try
        {
            ConnectWithTimeout(socket);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw ConnectFailed(ex);
        }

        Connected(socket);
        return true;
    }

    /// <summary>A checked, bounded connect that needs no thread-pool thread: non-blocking connect, then poll for writability.</summary>
    private void ConnectWithTimeout(Socket socket)
    {
        socket.Blocking = false;
        try
        {
            socket.Connect(_endPoint);
            return;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.AlreadyInProgress)
        {
            // In progress: wait below.
        }

        int micros = _options.ConnectTimeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, _options.ConnectTimeout.Ticks / 10);
        if (!socket.Poll(micros, SelectMode.SelectWrite))
        {
            throw new OperationCanceledException("connect timed out");
        }

        object? pending = socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error);
        if (pending is int code && code != 0)
        {
            throw new SocketException(code);
        }
    }

    private async ValueTask<bool> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_socket is not null)
        {
            if (Volatile.Read(ref _abortReason) == AbortNone && !PeerClosedWhileIdle(_socket))
            {
                return false;
            }

            CloseConnection(graceful: false);
        }

        Socket socket = NewSocket();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(_endPoint, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            throw ConnectFailed(ex);
        }

        Connected(socket);
        return true;
    }

    private Socket NewSocket()
    {
        var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (_options.SendBufferSize != 0)
        {
            socket.SendBufferSize = _options.SendBufferSize; // before connecting, so the connection starts with it
        }

        return socket;
    }

    private void Connected(Socket socket)
    {
        socket.NoDelay = _options.NoDelay;
        socket.Blocking = false; // sends are completed by SendAll/SendAllAsync, which count every byte
        _socket = socket;
        _sendArgs = new AwaitableSocketArgs();
        Volatile.Write(ref _abortReason, AbortNone);
        _lastActivity = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _connectionCount);
    }

    /// <summary>
    /// After an idle period (no write for <see cref="IdleCheckTicks"/>), checks whether the peer closed the connection
    /// meanwhile, so the write goes to a new connection instead of into a dead one. Back-to-back writes skip the check
    /// (a poll(2) per write would halve small-write throughput); a peer that closes mid-burst surfaces as a send error.
    /// </summary>
    private bool PeerClosedWhileIdle(Socket socket)
    {
        long now = Stopwatch.GetTimestamp();
        bool idle = now - _lastActivity >= IdleCheckTicks;
        _lastActivity = now;
        return idle && PeerClosed(socket);
    }

    /// <summary>True when the peer has closed (or reset) the connection: readable with nothing to read.</summary>
    private static bool PeerClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private void CloseConnection(bool graceful)
    {
        Socket? socket = _socket;
        _socket = null;
        if (socket is not null)
        {
            try
            {
                // FIN after every byte already accepted: those bytes still reach the peer (a plain close after an
                // aborted operation would reset the connection and drop them).
                socket.Shutdown(SocketShutdown.Send);
                if (graceful)
                {
                    Span<byte> sink = stackalloc byte[256];
                    while (socket.Available > 0 && socket.Receive(sink, SocketFlags.None, out _) > 0)
                    {
                        // Discard unread input so close() sends FIN, not RST.
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The connection is already gone; nothing left to flush.
            }

            socket.Dispose();
        }

        _sendArgs?.Dispose();
        _sendArgs = null;
    }

    private void CheckSize(int length)
    {
        if (length > _frameLimit && _options.OversizedWrite == OversizedWriteBehavior.Reject)
        {
            throw new ArgumentOutOfRangeException(
                "buffer", length,
                $"A write of {length} bytes exceeds the limit of {_frameLimit} bytes ({_limitName}); nothing was sent. " +
                "Write less, raise the limit, or set SocketDeviceOptions.OversizedWrite = OversizedWriteBehavior.Split.");
        }
    }

    private SocketDeviceException ConnectFailed(Exception ex)
    {
        if (ex is SocketException socketException)
        {
            return new SocketDeviceException(
                $"Connect to {_endPoint} failed: {socketException.SocketErrorCode} ({socketException.Message}). Nothing was sent.",
                socketException.SocketErrorCode, 0, ex);
        }

        return new SocketDeviceException(
            $"Connect to {_endPoint} timed out after {_options.ConnectTimeout.TotalMilliseconds:0} ms (SocketDeviceOptions.ConnectTimeout). Nothing was sent.",
            SocketError.TimedOut, 0, ex);
    }

    private SocketDeviceException SendFailed(SocketError error, int bytesWritten, int length)
    {
        string what = error == SocketError.TimedOut
            ? $"timed out after {_options.SendTimeout.TotalMilliseconds:0} ms (SocketDeviceOptions.SendTimeout)"
            : $"failed with {error}";
        return new SocketDeviceException(
            $"Send to {_endPoint} {what} after {bytesWritten} of {length} bytes of the write went out; " +
            "the connection was closed and will be re-established on the next write.",
            error, bytesWritten, new SocketException((int)error));
    }

    private static bool IsConnectionLoss(SocketError error) => error is
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or
        SocketError.NotConnected or SocketError.NetworkReset or SocketError.Disconnecting;

    private static void CheckTimeout(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException("options", value, $"SocketDeviceOptions.{name} must be positive (or Timeout.InfiniteTimeSpan).");
        }
    }

    private static long Deadline(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    private static int RemainingMicroseconds(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return -1;
        }

        long ticks = deadline - Stopwatch.GetTimestamp();
        if (ticks <= 0)
        {
            return 0;
        }

        double micros = ticks * 1_000_000.0 / Stopwatch.Frequency;
        return micros >= int.MaxValue ? int.MaxValue : Math.Max(1, (int)micros);
    }

    private static TimeSpan RemainingTime(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }

        long ticks = deadline - Stopwatch.GetTimestamp();
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max((double)ticks / Stopwatch.Frequency, 0.001));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private struct Progress
    {
        public int Payload; // bytes of the caller's buffer that went out
        public int Wire;    // all bytes that went out, framing included
    }

    private readonly record struct SendResult(SocketError Error, int Sent, bool Cancelled);

    private readonly struct Frame(int scratchLength, bool payloadSeparate, int scratchPayloadOffset, int scratchPayloadLength)
    {
        public int ScratchLength { get; } = scratchLength;

        public bool PayloadSeparate { get; } = payloadSeparate;

        public int PayloadOutOf(int scratchBytesSent) =>
            Math.Clamp(scratchBytesSent - scratchPayloadOffset, 0, scratchPayloadLength);
    }
}
