using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Quiet.Legacy
{
    /// <summary>
    /// Event-based chat server built on SocketAsyncEventArgs. Every *Async call that returns false completed
    /// synchronously and will not raise Completed, so each one is handled inline in a loop.
    /// </summary>
    public sealed class ChatServer : IDisposable
    {
        private readonly BufferManager _buffers;
        private readonly int _maxClients;
        private readonly IPEndPoint _overflowServer;
        private readonly object _sessionsLock = new object();
        private readonly Dictionary<int, ChatSession> _sessions = new Dictionary<int, ChatSession>();
        private Socket _listener;
        private SocketAsyncEventArgs _acceptArgs;
        private int _nextSessionId;
        private int _nextSequence;
        private volatile bool _stopping;

        public ChatServer(BufferManager buffers, int maxClients, IPEndPoint overflowServer)
        {
            if (buffers == null) throw new ArgumentNullException("buffers");
            if (maxClients <= 0) throw new ArgumentOutOfRangeException("maxClients");
            _buffers = buffers;
            _maxClients = maxClients;
            _overflowServer = overflowServer;
        }

        public event Action<string> Log;

        public int SessionCount
        {
            get { lock (_sessionsLock) return _sessions.Count; }
        }

        internal BufferManager Buffers
        {
            get { return _buffers; }
        }

        public IPEndPoint Start(IPEndPoint localEndPoint, int backlog)
        {
            if (localEndPoint == null) throw new ArgumentNullException("localEndPoint");
            if (_listener != null) throw new InvalidOperationException("Already started.");

            var listener = new Socket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Bind(localEndPoint);
                listener.Listen(backlog);
            }
            catch
            {
                listener.Close();
                throw;
            }

            _listener = listener;
            _acceptArgs = new SocketAsyncEventArgs();
            _acceptArgs.Completed += OnAcceptCompleted;
            AcceptLoop();
            return (IPEndPoint)listener.LocalEndPoint;
        }

        public void Start(int port)
        {
            Start(new IPEndPoint(IPAddress.Any, port), 100);
        }

        private void AcceptLoop()
        {
            while (!_stopping)
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
                    return; // OnAcceptCompleted resumes the loop.

                if (!ProcessAccept(_acceptArgs))
                    return;
            }
        }

        private void OnAcceptCompleted(object sender, SocketAsyncEventArgs e)
        {
            if (ProcessAccept(e))
                AcceptLoop();
        }

        /// <summary>Returns false when the listener is gone and accepting must stop.</summary>
        private bool ProcessAccept(SocketAsyncEventArgs e)
        {
            Socket client = e.AcceptSocket;
            e.AcceptSocket = null;

            if (_stopping || e.SocketError == SocketError.OperationAborted)
            {
                SocketHelpers.CloseQuietly(client);
                return false;
            }

            if (e.SocketError != SocketError.Success)
            {
                // A client that reset before we accepted it; keep listening.
                WriteLog("accept failed: " + e.SocketError);
                SocketHelpers.CloseQuietly(client);
                return true;
            }

            client.NoDelay = true;
            var session = new ChatSession(this, Interlocked.Increment(ref _nextSessionId), client);

            bool accepted;
            lock (_sessionsLock)
            {
                accepted = _sessions.Count < _maxClients;
                if (accepted)
                    _sessions.Add(session.Id, session);
            }

            if (!accepted)
            {
                if (_overflowServer != null)
                {
                    byte[] payload = FrameWriter.BuildRedirectPayload(_overflowServer);
                    session.EnqueueAndClose(FrameWriter.Build(FrameType.Redirect, NextSequence(), payload));
                }
                else
                {
                    session.Close();
                }
                return true;
            }

            session.Start();
            return true;
        }

        internal int NextSequence()
        {
            return Interlocked.Increment(ref _nextSequence);
        }

        internal void OnFrame(ChatSession session, Frame frame)
        {
            switch (frame.Type)
            {
                case FrameType.Hello:
                    string name = Encoding.UTF8.GetString(frame.Payload).Trim();
                    if (name.Length == 0 || name.Length > 32)
                    {
                        session.Close();
                        return;
                    }
                    session.Name = name;
                    session.Enqueue(FrameWriter.Build(FrameType.Chat, NextSequence(),
                                                      FrameWriter.EncodeText("* welcome, " + name)));
                    Broadcast("* " + name + " joined", session.Id);
                    break;

                case FrameType.Chat:
                    if (session.Name == null)
                    {
                        session.Close();
                        return;
                    }
                    string text = Encoding.UTF8.GetString(frame.Payload);
                    Broadcast(session.Name + ": " + text, -1);
                    break;

                case FrameType.Ping:
                    // Echo the payload exactly as received.
                    session.Enqueue(FrameWriter.Build(FrameType.Pong, frame.Sequence, frame.Payload));
                    break;

                case FrameType.Bye:
                    session.Close();
                    break;

                default:
                    WriteLog("session " + session.Id + " sent unexpected frame " + frame.Type);
                    session.Close();
                    break;
            }
        }

        public void Broadcast(string text, int exceptSessionId)
        {
            // One frame array shared by every session: it is never modified after it is built.
            byte[] frame = FrameWriter.Build(FrameType.Chat, NextSequence(), FrameWriter.EncodeText(text));

            ChatSession[] targets;
            lock (_sessionsLock)
            {
                targets = new ChatSession[_sessions.Count];
                _sessions.Values.CopyTo(targets, 0);
            }

            foreach (ChatSession target in targets)
            {
                if (target.Id != exceptSessionId && target.Name != null)
                    target.Enqueue(frame);
            }
        }

        internal void OnSessionClosed(ChatSession session)
        {
            bool removed;
            lock (_sessionsLock)
                removed = _sessions.Remove(session.Id);

            if (removed && session.Name != null && !_stopping)
                Broadcast("* " + session.Name + " left", session.Id);
        }

        internal void WriteLog(string message)
        {
            Action<string> log = Log;
            if (log != null)
                log(message);
        }

        public void Dispose()
        {
            if (_stopping) return;
            _stopping = true;

            if (_listener != null)
                _listener.Close();

            ChatSession[] sessions;
            lock (_sessionsLock)
            {
                sessions = new ChatSession[_sessions.Count];
                _sessions.Values.CopyTo(sessions, 0);
            }
            foreach (ChatSession session in sessions)
                session.Close();
        }
    }

    internal sealed class ChatSession
    {
        private const int MaxQueuedBytes = 4 * 1024 * 1024;

        private readonly ChatServer _server;
        private readonly Socket _socket;
        private readonly SocketAsyncEventArgs _receiveArgs = new SocketAsyncEventArgs();
        private readonly SocketAsyncEventArgs _sendArgs = new SocketAsyncEventArgs();
        private readonly FrameDecoder _decoder = new FrameDecoder();
        private readonly object _sendLock = new object();
        private readonly Queue<byte[]> _sendQueue = new Queue<byte[]>();
        private int _queuedBytes;
        private bool _sending;
        private bool _closeWhenDrained;
        private int _closed;

        public ChatSession(ChatServer server, int id, Socket socket)
        {
            _server = server;
            Id = id;
            _socket = socket;
            _receiveArgs.Completed += OnReceiveCompleted;
            _sendArgs.Completed += OnSendCompleted;
        }

        public int Id { get; private set; }

        public volatile string Name;

        public bool IsClosed
        {
            get { return Volatile.Read(ref _closed) != 0; }
        }

        public void Start()
        {
            if (!_server.Buffers.SetBuffer(_receiveArgs))
            {
                // Pool exhausted: this session gets its own array.
                int size = _server.Buffers.SegmentSize;
                _receiveArgs.SetBuffer(new byte[size], 0, size);
            }
            ReceiveLoop();
        }

        // ---------------------------------------------------------------- receive

        private void ReceiveLoop()
        {
            while (true)
            {
                bool pending;
                try
                {
                    pending = _socket.ReceiveAsync(_receiveArgs);
                }
                catch (ObjectDisposedException)
                {
                    EndReceiving();
                    return;
                }

                if (pending)
                    return;

                if (!ProcessReceive(_receiveArgs))
                    return;
            }
        }

        private void OnReceiveCompleted(object sender, SocketAsyncEventArgs e)
        {
            if (ProcessReceive(e))
                ReceiveLoop();
        }

        private bool ProcessReceive(SocketAsyncEventArgs e)
        {
            if (e.SocketError != SocketError.Success || e.BytesTransferred == 0)
            {
                Close();
                EndReceiving();
                return false;
            }

            List<Frame> frames;
            try
            {
                frames = _decoder.Feed(e.Buffer, e.Offset, e.BytesTransferred);
            }
            catch (InvalidDataException ex)
            {
                _server.WriteLog("session " + Id + " protocol error: " + ex.Message);
                Close();
                EndReceiving();
                return false;
            }

            foreach (Frame frame in frames)
            {
                _server.OnFrame(this, frame);
                if (IsClosed)
                    break;
            }

            if (IsClosed)
            {
                EndReceiving();
                return false;
            }
            return true;
        }

        /// <summary>Called once, when no receive is outstanding any more: the segment can go back to the pool.</summary>
        private void EndReceiving()
        {
            _server.Buffers.FreeBuffer(_receiveArgs);
            _receiveArgs.Dispose();
        }

        // ---------------------------------------------------------------- send

        public void Enqueue(byte[] frame)
        {
            if (frame == null) throw new ArgumentNullException("frame");

            bool startSending = false;
            bool overflow = false;
            lock (_sendLock)
            {
                if (_closed != 0 || _closeWhenDrained)
                    return;

                if (_queuedBytes > MaxQueuedBytes - frame.Length)
                {
                    overflow = true;
                }
                else
                {
                    _sendQueue.Enqueue(frame);
                    _queuedBytes += frame.Length;
                    if (!_sending)
                    {
                        _sending = true;
                        startSending = true;
                    }
                }
            }

            if (overflow)
            {
                _server.WriteLog("session " + Id + " is not reading; dropping it");
                Close();
                return;
            }

            if (startSending)
                SendNext();
        }

        /// <summary>Queues a last frame and closes the connection once everything queued has been sent.</summary>
        public void EnqueueAndClose(byte[] frame)
        {
            Enqueue(frame);
            bool closeNow;
            lock (_sendLock)
            {
                _closeWhenDrained = true;
                closeNow = !_sending;
            }
            if (closeNow)
                Close();
        }

        /// <summary>Runs while this thread owns the sending flag.</summary>
        private void SendNext()
        {
            while (true)
            {
                byte[] frame;
                bool closeNow = false;
                lock (_sendLock)
                {
                    if (_closed != 0 || _sendQueue.Count == 0)
                    {
                        closeNow = _closed == 0 && _closeWhenDrained;
                        frame = null;
                    }
                    else
                    {
                        frame = _sendQueue.Dequeue();
                        _queuedBytes -= frame.Length;
                    }
                }

                if (frame == null)
                {
                    if (closeNow)
                        Close();
                    EndSending();
                    return;
                }

                _sendArgs.SetBuffer(frame, 0, frame.Length);
                SendStatus status = SendCurrent();
                if (status == SendStatus.Pending)
                    return;
                if (status == SendStatus.Failed)
                {
                    Close();
                    EndSending();
                    return;
                }
            }
        }

        private enum SendStatus
        {
            Done,
            Pending,
            Failed,
        }

        /// <summary>Sends the range set on _sendArgs, continuing after partial sends that complete synchronously.</summary>
        private SendStatus SendCurrent()
        {
            while (true)
            {
                bool pending;
                try
                {
                    pending = _socket.SendAsync(_sendArgs);
                }
                catch (ObjectDisposedException)
                {
                    return SendStatus.Failed;
                }

                if (pending)
                    return SendStatus.Pending;

                SendStatus status = AdvanceAfterSend(_sendArgs);
                if (status != SendStatus.Pending)
                    return status;
                // Pending here means "partial send, buffer advanced": loop and send the rest.
            }
        }

        /// <summary>Done when the whole range went out; Pending when a remainder was set up; Failed on error.</summary>
        private static SendStatus AdvanceAfterSend(SocketAsyncEventArgs e)
        {
            if (e.SocketError != SocketError.Success || e.BytesTransferred <= 0)
                return SendStatus.Failed;

            int remaining = e.Count - e.BytesTransferred;
            if (remaining > 0)
            {
                e.SetBuffer(e.Offset + e.BytesTransferred, remaining);
                return SendStatus.Pending;
            }
            return SendStatus.Done;
        }

        private void OnSendCompleted(object sender, SocketAsyncEventArgs e)
        {
            SendStatus status = AdvanceAfterSend(e);
            if (status == SendStatus.Pending)
                status = SendCurrent();

            if (status == SendStatus.Pending)
                return;

            if (status == SendStatus.Failed)
            {
                Close();
                EndSending();
                return;
            }

            SendNext();
        }

        private void EndSending()
        {
            bool dispose;
            lock (_sendLock)
            {
                _sending = false;
                dispose = _closed != 0;
            }
            if (dispose)
                _sendArgs.Dispose();
        }

        // ---------------------------------------------------------------- close

        public void Close()
        {
            bool disposeSendArgs;
            lock (_sendLock)
            {
                if (_closed != 0)
                    return;
                _closed = 1;
                _sendQueue.Clear();
                _queuedBytes = 0;
                disposeSendArgs = !_sending;
            }

            SocketHelpers.CloseQuietly(_socket);
            if (disposeSendArgs)
                _sendArgs.Dispose();
            _server.OnSessionClosed(this);
        }
    }
}
