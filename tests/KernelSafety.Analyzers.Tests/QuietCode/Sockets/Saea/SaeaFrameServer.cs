using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Quiet.Sockets.Framing;

namespace Quiet.Sockets.Saea;

/// <summary>
/// One pinned slab carved into equal segments. Each SocketAsyncEventArgs gets its own segment,
/// so no two concurrent operations ever share bytes.
/// </summary>
internal sealed class BufferSlab
{
    private readonly byte[] _slab;
    private readonly Stack<int> _free;
    private readonly object _lock = new();

    public BufferSlab(int segmentCount, int segmentSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentSize);
        SegmentSize = segmentSize;
        _slab = GC.AllocateArray<byte>(checked(segmentCount * segmentSize), pinned: true);
        _free = new Stack<int>(segmentCount);
        for (int i = segmentCount - 1; i >= 0; i--)
        {
            _free.Push(i * segmentSize);
        }
    }

    public int SegmentSize { get; }

    /// <summary>Attaches a free segment to <paramref name="args"/>; returns its offset, or -1 when exhausted.</summary>
    public int Attach(SocketAsyncEventArgs args)
    {
        int offset;
        lock (_lock)
        {
            if (!_free.TryPop(out offset))
            {
                return -1;
            }
        }

        args.SetBuffer(_slab, offset, SegmentSize);
        return offset;
    }

    public void Detach(SocketAsyncEventArgs args, int offset)
    {
        args.SetBuffer(null, 0, 0);
        lock (_lock)
        {
            _free.Push(offset);
        }
    }
}

/// <summary>
/// Frame server built on SocketAsyncEventArgs: one receive and one send args per connection,
/// each backed by a slab segment. Replies larger than a segment are sent in pieces, and a
/// partial send resumes from the first byte the kernel did not take.
/// </summary>
public sealed class SaeaFrameServer : IDisposable
{
    private readonly Socket _listener;
    private readonly BufferSlab _slab;
    private readonly ConcurrentStack<SocketAsyncEventArgs> _argsPool = new();
    private readonly SocketAsyncEventArgs _acceptArgs = new();
    private readonly FrameHandler _handler;
    private readonly ConcurrentDictionary<Session, byte> _sessions = new();
    private volatile bool _stopped;

    public SaeaFrameServer(IPEndPoint bindTo, int maxConnections, int segmentSize, FrameHandler handler)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConnections);
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _slab = new BufferSlab(checked(maxConnections * 2), segmentSize);
        for (int i = 0; i < maxConnections * 2; i++)
        {
            var args = new SocketAsyncEventArgs();
            args.Completed += OnIoCompleted;
            _argsPool.Push(args);
        }

        _listener = new Socket(bindTo.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(bindTo);
        _acceptArgs.Completed += (_, e) =>
        {
            HandleAccept(e);
            AcceptLoop();
        };
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public void Start(int backlog = 256)
    {
        _listener.Listen(backlog);
        AcceptLoop();
    }

    private void AcceptLoop()
    {
        while (!_stopped)
        {
            _acceptArgs.AcceptSocket = null;
            bool pending;
            try
            {
                pending = _listener.AcceptAsync(_acceptArgs);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (pending)
            {
                return; // Completed fires later and re-enters this loop
            }

            HandleAccept(_acceptArgs); // completed synchronously: Completed will not fire
        }
    }

    private void HandleAccept(SocketAsyncEventArgs e)
    {
        if (e.SocketError != SocketError.Success || e.AcceptSocket is null)
        {
            return;
        }

        Socket socket = e.AcceptSocket;
        socket.NoDelay = true;
        if (!_argsPool.TryPop(out SocketAsyncEventArgs? receiveArgs))
        {
            socket.Dispose(); // at capacity
            return;
        }

        if (!_argsPool.TryPop(out SocketAsyncEventArgs? sendArgs))
        {
            _argsPool.Push(receiveArgs);
            socket.Dispose();
            return;
        }

        int receiveSegment = _slab.Attach(receiveArgs);
        int sendSegment = receiveSegment < 0 ? -1 : _slab.Attach(sendArgs);
        if (sendSegment < 0)
        {
            if (receiveSegment >= 0)
            {
                _slab.Detach(receiveArgs, receiveSegment);
            }

            _argsPool.Push(receiveArgs);
            _argsPool.Push(sendArgs);
            socket.Dispose();
            return;
        }

        var session = new Session(socket, receiveArgs, receiveSegment, sendArgs, sendSegment);
        receiveArgs.UserToken = session;
        sendArgs.UserToken = session;
        _sessions.TryAdd(session, 0);
        ReceiveLoop(session);
    }

    private void OnIoCompleted(object? sender, SocketAsyncEventArgs e)
    {
        var session = (Session)e.UserToken!;
        switch (e.LastOperation)
        {
            case SocketAsyncOperation.Receive:
                if (HandleReceive(session))
                {
                    ReceiveLoop(session);
                }

                break;
            case SocketAsyncOperation.Send:
                if (HandleSendCompleted(session))
                {
                    SendLoop(session);
                }

                break;
        }
    }

    // ------------------------------------------------------------------ receive side

    private void ReceiveLoop(Session session)
    {
        SocketAsyncEventArgs args = session.ReceiveArgs;
        while (true)
        {
            args.SetBuffer(session.ReceiveSegment, _slab.SegmentSize);
            bool pending;
            try
            {
                pending = session.Socket.ReceiveAsync(args);
            }
            catch (ObjectDisposedException)
            {
                StopReceiving(session);
                return;
            }

            if (pending || !HandleReceive(session))
            {
                return;
            }
        }
    }

    /// <summary>Returns true when the caller should post the next receive.</summary>
    private bool HandleReceive(Session session)
    {
        SocketAsyncEventArgs args = session.ReceiveArgs;
        if (args.SocketError != SocketError.Success || args.BytesTransferred == 0)
        {
            StopReceiving(session);
            return false;
        }

        try
        {
            session.Accumulator.Append(args.Buffer!, args.Offset, args.BytesTransferred);
            while (session.Accumulator.TryTakeFrame(out FrameType type, out byte[] payload))
            {
                byte[]? reply = type switch
                {
                    FrameType.Ping => FrameCodec.PongFrame.ToArray(),
                    FrameType.Data when _handler(payload) is { } body => FrameCodec.Encode(FrameType.Data, body),
                    _ => null,
                };

                if (reply is not null)
                {
                    Enqueue(session, reply);
                }
            }
        }
        catch (InvalidOperationException)
        {
            StopReceiving(session); // malformed stream or flooding peer
            return false;
        }

        return true;
    }

    private void StopReceiving(Session session)
    {
        Close(session);
        _slab.Detach(session.ReceiveArgs, session.ReceiveSegment);
        session.ReceiveArgs.UserToken = null;
        _argsPool.Push(session.ReceiveArgs);
    }

    // ------------------------------------------------------------------ send side

    private void Enqueue(Session session, byte[] frame)
    {
        lock (session.SendLock)
        {
            if (session.Closed)
            {
                return;
            }

            session.Outbox.Enqueue(frame);
            if (session.Sending)
            {
                return; // the active send loop will pick it up
            }

            session.Sending = true;
        }

        SendLoop(session);
    }

    private void SendLoop(Session session)
    {
        SocketAsyncEventArgs args = session.SendArgs;
        while (true)
        {
            byte[] frame;
            int offset;
            lock (session.SendLock)
            {
                if (session.Closed)
                {
                    session.Sending = false;
                    ReleaseSendArgsLocked(session);
                    return;
                }

                if (session.Current is null || session.CurrentOffset == session.Current.Length)
                {
                    if (!session.Outbox.TryDequeue(out session.Current))
                    {
                        session.Sending = false;
                        return;
                    }

                    session.CurrentOffset = 0;
                }

                frame = session.Current;
                offset = session.CurrentOffset;
            }

            int chunk = Math.Min(frame.Length - offset, _slab.SegmentSize);
            Buffer.BlockCopy(frame, offset, args.Buffer!, session.SendSegment, chunk);
            args.SetBuffer(session.SendSegment, chunk);

            bool pending;
            try
            {
                pending = session.Socket.SendAsync(args);
            }
            catch (ObjectDisposedException)
            {
                Close(session);
                continue; // next iteration sees Closed and releases the args
            }

            if (pending || !HandleSendCompleted(session))
            {
                return;
            }
        }
    }

    /// <summary>Returns true when the send loop should continue.</summary>
    private bool HandleSendCompleted(Session session)
    {
        SocketAsyncEventArgs args = session.SendArgs;
        if (args.SocketError != SocketError.Success)
        {
            Close(session);
            lock (session.SendLock)
            {
                session.Sending = false;
                ReleaseSendArgsLocked(session);
            }

            return false;
        }

        // May be fewer than args.Count; the loop re-copies from the first unsent byte.
        session.CurrentOffset += args.BytesTransferred;
        return true;
    }

    private void ReleaseSendArgsLocked(Session session)
    {
        if (session.SendArgsReleased)
        {
            return;
        }

        session.SendArgsReleased = true;
        _slab.Detach(session.SendArgs, session.SendSegment);
        session.SendArgs.UserToken = null;
        _argsPool.Push(session.SendArgs);
    }

    private void Close(Session session)
    {
        lock (session.SendLock)
        {
            if (session.Closed)
            {
                return;
            }

            session.Closed = true;
            session.Outbox.Clear();
            _sessions.TryRemove(session, out _);
            if (!session.Sending)
            {
                ReleaseSendArgsLocked(session);
            }
        }

        try
        {
            session.Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // already reset by the peer
        }

        session.Socket.Dispose(); // aborts whichever operation is still pending; its completion releases its args
    }

    public void Dispose()
    {
        _stopped = true;
        _listener.Dispose();
        foreach (Session session in _sessions.Keys)
        {
            Close(session);
        }
    }

    private sealed class Session
    {
        public Session(Socket socket, SocketAsyncEventArgs receiveArgs, int receiveSegment, SocketAsyncEventArgs sendArgs, int sendSegment)
        {
            Socket = socket;
            ReceiveArgs = receiveArgs;
            ReceiveSegment = receiveSegment;
            SendArgs = sendArgs;
            SendSegment = sendSegment;
        }

        public Socket Socket { get; }
        public SocketAsyncEventArgs ReceiveArgs { get; }
        public int ReceiveSegment { get; }
        public SocketAsyncEventArgs SendArgs { get; }
        public int SendSegment { get; }
        public FrameAccumulator Accumulator { get; } = new();
        public object SendLock { get; } = new();
        public Queue<byte[]> Outbox { get; } = new();
        public byte[]? Current;
        public int CurrentOffset;
        public bool Sending;
        public bool Closed;
        public bool SendArgsReleased;
    }
}

/// <summary>Client-side connect through SocketAsyncEventArgs, exposed as a Task.</summary>
public static class SaeaConnector
{
    public static Task<Socket> ConnectAsync(EndPoint remote)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var tcs = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var args = new SocketAsyncEventArgs { RemoteEndPoint = remote, UserToken = (socket, tcs) };
        args.Completed += (_, e) => Complete(e);

        bool pending;
        try
        {
            pending = socket.ConnectAsync(args);
        }
        catch
        {
            args.Dispose();
            socket.Dispose();
            throw;
        }

        if (!pending)
        {
            Complete(args); // synchronous completion: Completed is never raised
        }

        return tcs.Task;

        static void Complete(SocketAsyncEventArgs e)
        {
            var (s, source) = ((Socket, TaskCompletionSource<Socket>))e.UserToken!;
            SocketError error = e.SocketError;
            e.Dispose();
            if (error == SocketError.Success)
            {
                source.TrySetResult(s);
            }
            else
            {
                s.Dispose();
                source.TrySetException(new SocketException((int)error));
            }
        }
    }
}
