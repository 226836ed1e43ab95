using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Quiet.Legacy
{
    public sealed class ChatMessageEventArgs : EventArgs
    {
        public ChatMessageEventArgs(string text)
        {
            Text = text;
        }

        public string Text { get; private set; }
    }

    /// <summary>
    /// Chat client written against the APM pattern (BeginXxx/EndXxx with state objects). Every Begin call is
    /// paired with exactly one End call in its callback, including on the error paths. One instance serves
    /// one connection; create a new client to reconnect.
    /// </summary>
    public sealed class ChatClient : IDisposable
    {
        private const int ReceiveBufferSize = 8192;
        public const int LoginRecordSize = 64;
        private const int MaxNameBytes = LoginRecordSize - 4;

        private readonly object _sendLock = new object();
        private readonly Queue<byte[]> _sendQueue = new Queue<byte[]>();
        private readonly FrameDecoder _decoder = new FrameDecoder();
        private Socket _socket;
        private bool _sending;
        private int _sequence;
        private int _disconnected;

        public event EventHandler<ChatMessageEventArgs> MessageReceived;
        public event EventHandler<EventArgs> Disconnected;

        /// <summary>Set when the server answered with a Redirect frame.</summary>
        public IPEndPoint RedirectedTo { get; private set; }

        private sealed class ConnectState
        {
            public Socket Socket;
            public string Name;
            public Action<Exception> Completed;
        }

        private sealed class SendState
        {
            public byte[] Buffer;
            public int Offset;
            public int Remaining;
        }

        private sealed class ReceiveState
        {
            public Socket Socket;
            public readonly byte[] Buffer = new byte[ReceiveBufferSize];
        }

        // ---------------------------------------------------------------- connect

        /// <summary>Starts connecting; <paramref name="completed"/> receives null on success or the failure.</summary>
        public void BeginConnect(IPEndPoint server, string name, Action<Exception> completed)
        {
            if (server == null) throw new ArgumentNullException("server");
            if (name == null) throw new ArgumentNullException("name");
            if (completed == null) throw new ArgumentNullException("completed");
            if (_socket != null) throw new InvalidOperationException("Already connected.");

            var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            var state = new ConnectState { Socket = socket, Name = name, Completed = completed };
            try
            {
                socket.BeginConnect(server, OnConnected, state);
            }
            catch
            {
                socket.Close();
                throw;
            }
        }

        private void OnConnected(IAsyncResult ar)
        {
            var state = (ConnectState)ar.AsyncState;
            try
            {
                state.Socket.EndConnect(ar);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
            {
                state.Socket.Close();
                state.Completed(ex);
                return;
            }

            state.Socket.NoDelay = true;
            _socket = state.Socket;
            Interlocked.Exchange(ref _disconnected, 0);

            // Queue the greeting before the first receive can observe a disconnect.
            QueueFrame(FrameType.Hello, Encoding.UTF8.GetBytes(state.Name));
            StartReceive(new ReceiveState { Socket = state.Socket });
            state.Completed(null);
        }

        /// <summary>Synchronous connect with a timeout, for callers that do not want callbacks.</summary>
        public void Connect(IPEndPoint server, string name, int timeoutMs)
        {
            if (name == null) throw new ArgumentNullException("name");
            if (_socket != null) throw new InvalidOperationException("Already connected.");

            Socket socket = SocketHelpers.ConnectWithTimeout(server, timeoutMs);
            _socket = socket;
            Interlocked.Exchange(ref _disconnected, 0);
            QueueFrame(FrameType.Hello, Encoding.UTF8.GetBytes(name));
            StartReceive(new ReceiveState { Socket = socket });
        }

        // ---------------------------------------------------------------- send

        public void Say(string text)
        {
            QueueFrame(FrameType.Chat, FrameWriter.EncodeText(text));
        }

        public void Ping()
        {
            byte[] stamp = BitConverter.GetBytes(IPAddress.HostToNetworkOrder(DateTime.UtcNow.Ticks));
            QueueFrame(FrameType.Ping, stamp);
        }

        private void QueueFrame(FrameType type, byte[] payload)
        {
            byte[] frame = FrameWriter.Build(type, Interlocked.Increment(ref _sequence), payload);

            SendState toStart = null;
            lock (_sendLock)
            {
                if (_socket == null || Volatile.Read(ref _disconnected) != 0)
                    throw new InvalidOperationException("Not connected.");

                if (_sending)
                {
                    _sendQueue.Enqueue(frame);
                }
                else
                {
                    _sending = true;
                    toStart = new SendState { Buffer = frame, Offset = 0, Remaining = frame.Length };
                }
            }

            if (toStart != null)
                BeginSendState(toStart);
        }

        private void BeginSendState(SendState state)
        {
            try
            {
                _socket.BeginSend(state.Buffer, state.Offset, state.Remaining, SocketFlags.None, OnSent, state);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
            {
                HandleDisconnect();
            }
        }

        private void OnSent(IAsyncResult ar)
        {
            var state = (SendState)ar.AsyncState;
            int sent;
            try
            {
                sent = _socket.EndSend(ar);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
            {
                HandleDisconnect();
                return;
            }

            if (sent <= 0)
            {
                HandleDisconnect();
                return;
            }

            state.Offset += sent;
            state.Remaining -= sent;
            if (state.Remaining > 0)
            {
                // Partial send: continue with the rest of the same frame.
                BeginSendState(state);
                return;
            }

            SendState next = null;
            lock (_sendLock)
            {
                if (_sendQueue.Count > 0)
                {
                    byte[] frame = _sendQueue.Dequeue();
                    next = new SendState { Buffer = frame, Offset = 0, Remaining = frame.Length };
                }
                else
                {
                    _sending = false;
                }
            }

            if (next != null)
                BeginSendState(next);
        }

        // ---------------------------------------------------------------- receive

        private void StartReceive(ReceiveState state)
        {
            try
            {
                state.Socket.BeginReceive(state.Buffer, 0, state.Buffer.Length, SocketFlags.None, OnReceived, state);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
            {
                HandleDisconnect();
            }
        }

        private void OnReceived(IAsyncResult ar)
        {
            var state = (ReceiveState)ar.AsyncState;
            int received;
            try
            {
                received = state.Socket.EndReceive(ar);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
            {
                HandleDisconnect();
                return;
            }

            if (received == 0)
            {
                HandleDisconnect();
                return;
            }

            List<Frame> frames;
            try
            {
                frames = _decoder.Feed(state.Buffer, 0, received);
            }
            catch (InvalidDataException)
            {
                HandleDisconnect();
                return;
            }

            foreach (Frame frame in frames)
                Dispatch(frame);

            if (Volatile.Read(ref _disconnected) == 0)
                StartReceive(state);
        }

        private void Dispatch(Frame frame)
        {
            switch (frame.Type)
            {
                case FrameType.Chat:
                    EventHandler<ChatMessageEventArgs> handler = MessageReceived;
                    if (handler != null)
                        handler(this, new ChatMessageEventArgs(Encoding.UTF8.GetString(frame.Payload)));
                    break;

                case FrameType.Pong:
                    // Payload is the 8-byte timestamp we sent; ignore anything else.
                    break;

                case FrameType.Redirect:
                    RedirectedTo = FrameWriter.ParseRedirectPayload(frame.Payload);
                    HandleDisconnect();
                    break;
            }
        }

        private void HandleDisconnect()
        {
            if (Interlocked.Exchange(ref _disconnected, 1) != 0)
                return;

            Socket socket = _socket;
            SocketHelpers.CloseQuietly(socket);
            lock (_sendLock)
            {
                _sendQueue.Clear();
                _sending = false;
            }

            EventHandler<EventArgs> handler = Disconnected;
            if (handler != null)
                handler(this, EventArgs.Empty);
        }

        public void Dispose()
        {
            HandleDisconnect();
        }

        // ---------------------------------------------------------------- legacy login record

        /// <summary>
        /// Builds the fixed-size login record expected by version 0 gateways: 2 bytes record type, 2 bytes name
        /// length, the UTF-8 name, zero padding up to 64 bytes. The padding is part of the format.
        /// </summary>
        public static byte[] BuildLoginRecord(string name)
        {
            if (name == null) throw new ArgumentNullException("name");
            if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
                throw new ArgumentException("The name is longer than " + MaxNameBytes + " UTF-8 bytes.", "name");

            var record = new byte[LoginRecordSize];
            Wire.WriteUInt16(record, 0, 0x0001);
            int nameBytes = Encoding.UTF8.GetBytes(name, 0, name.Length, record, 4);
            Wire.WriteUInt16(record, 2, (ushort)nameBytes);
            return record;
        }

        /// <summary>Logs into a version 0 gateway over an already connected blocking stream.</summary>
        public static bool LoginLegacy(NetworkStream stream, string name, int timeoutMs)
        {
            if (stream == null) throw new ArgumentNullException("stream");

            if (name == null) throw new ArgumentNullException("name");
            if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
                throw new ArgumentException("The name is longer than " + MaxNameBytes + " UTF-8 bytes.", "name");

            // A new array is zero-filled, so everything after the name is the padding the format requires.
            byte[] record = new byte[LoginRecordSize];
            Wire.WriteUInt16(record, 0, 0x0001);
            int nameBytes = Encoding.UTF8.GetBytes(name, 0, name.Length, record, 4);
            Wire.WriteUInt16(record, 2, (ushort)nameBytes);
            stream.Write(record, 0, record.Length);

            stream.ReadTimeout = timeoutMs;
            byte[] reply = new byte[4];
            SocketHelpers.ReadFully(stream, reply, 0, reply.Length);
            return Wire.ReadInt32(reply, 0) == 0;
        }
    }
}
