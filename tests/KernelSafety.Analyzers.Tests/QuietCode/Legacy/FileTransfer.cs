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
    /// Chunked file upload with resume. Per upload, on a connection that may carry many uploads:
    ///   C: magic(4) nameLength(2) name(utf-8) fileLength(8)
    ///   S: status(1) resumeOffset(8)
    ///   C: { chunkLength(4) crc32(4) data(chunkLength) }*  then chunkLength = 0
    ///   S: status(1)
    /// The server only appends chunks whose checksum matched, so the .part file is always a valid prefix and
    /// its length is the resume offset of the next attempt.
    /// </summary>
    public static class FileTransferProtocol
    {
        public const uint Magic = 0x46545831; // "FTX1"
        public const int ChunkSize = 64 * 1024;
        public const int ChunkHeaderSize = 8;
        public const int MaxNameBytes = 255;
        public const int ReplySize = 9;

        public const byte StatusOk = 0;
        public const byte StatusRejected = 1;
        public const byte StatusLengthMismatch = 2;

        public static bool IsSafeName(string name)
        {
            if (string.IsNullOrEmpty(name) || name == "." || name == "..")
                return false;
            if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                return false;
            if (name.IndexOf('/') >= 0 || name.IndexOf('\\') >= 0)
                return false;
            return Encoding.UTF8.GetByteCount(name) <= MaxNameBytes;
        }
    }

    /// <summary>
    /// Uploads files over one persistent connection; it is opened on the first upload and reopened only after
    /// a failure. Uploads on one client are serialized.
    /// </summary>
    public sealed class FileTransferClient : IDisposable
    {
        private readonly IPEndPoint _server;
        private readonly int _timeoutMs;
        private readonly object _sync = new object();
        private readonly byte[] _chunk = new byte[FileTransferProtocol.ChunkHeaderSize + FileTransferProtocol.ChunkSize];
        private Socket _socket;

        public FileTransferClient(IPEndPoint server, int timeoutMs)
        {
            if (server == null) throw new ArgumentNullException("server");
            if (timeoutMs <= 0) throw new ArgumentOutOfRangeException("timeoutMs");
            _server = server;
            _timeoutMs = timeoutMs;
        }

        public event Action<string, long, long> Progress;

        /// <summary>Uploads a file, resuming where an earlier attempt stopped. Returns the bytes sent now.</summary>
        public long Upload(string localPath, string remoteName)
        {
            if (localPath == null) throw new ArgumentNullException("localPath");
            if (!FileTransferProtocol.IsSafeName(remoteName))
                throw new ArgumentException("Invalid remote file name.", "remoteName");

            lock (_sync)
            {
                if (_socket == null)
                    _socket = SocketHelpers.ConnectWithRetry(_server, 3, 500, _timeoutMs);

                try
                {
                    return UploadCore(localPath, remoteName);
                }
                catch (Exception ex) when (ex is IOException || ex is SocketException || ex is TimeoutException)
                {
                    // The stream position is unknown after a failure: drop the connection, the next call reconnects
                    // and resumes from what the server has.
                    SocketHelpers.CloseQuietly(_socket);
                    _socket = null;
                    throw;
                }
            }
        }

        private long UploadCore(string localPath, string remoteName)
        {
            using (var file = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
            {
                long length = file.Length;
                SendRequest(remoteName, length);

                byte[] reply = new byte[FileTransferProtocol.ReplySize];
                SocketHelpers.ReceiveExactly(_socket, reply, 0, reply.Length, _timeoutMs);
                if (reply[0] != FileTransferProtocol.StatusOk)
                    throw new IOException("The server rejected " + remoteName + " (status " + reply[0] + ").");

                long resumeAt = Wire.ReadInt64(reply, 1);
                if (resumeAt < 0 || resumeAt > length)
                    throw new InvalidDataException("The server asked to resume at " + resumeAt + " of " + length + ".");

                file.Seek(resumeAt, SeekOrigin.Begin);
                long position = resumeAt;
                while (position < length)
                {
                    int want = (int)Math.Min(FileTransferProtocol.ChunkSize, length - position);
                    int read = file.Read(_chunk, FileTransferProtocol.ChunkHeaderSize, want);
                    if (read == 0)
                        throw new IOException(localPath + " became shorter during the upload.");

                    Wire.WriteInt32(_chunk, 0, read);
                    Wire.WriteUInt32(_chunk, 4, Crc32.Compute(_chunk, FileTransferProtocol.ChunkHeaderSize, read));
                    SocketHelpers.SendAll(_socket, _chunk, 0, FileTransferProtocol.ChunkHeaderSize + read);

                    position += read;
                    Action<string, long, long> progress = Progress;
                    if (progress != null)
                        progress(remoteName, position, length);
                }

                // End-of-file marker: a header with length 0 and checksum 0.
                Array.Clear(_chunk, 0, FileTransferProtocol.ChunkHeaderSize);
                SocketHelpers.SendAll(_socket, _chunk, 0, FileTransferProtocol.ChunkHeaderSize);

                SocketHelpers.ReceiveExactly(_socket, reply, 0, 1, _timeoutMs);
                if (reply[0] != FileTransferProtocol.StatusOk)
                    throw new IOException("The server did not accept " + remoteName + " (status " + reply[0] + ").");

                return position - resumeAt;
            }
        }

        private void SendRequest(string remoteName, long length)
        {
            byte[] name = Encoding.UTF8.GetBytes(remoteName);
            byte[] request = new byte[4 + 2 + name.Length + 8];
            Wire.WriteUInt32(request, 0, FileTransferProtocol.Magic);
            Wire.WriteUInt16(request, 4, (ushort)name.Length);
            Buffer.BlockCopy(name, 0, request, 6, name.Length);
            Wire.WriteInt64(request, 6 + name.Length, length);
            SocketHelpers.SendAll(_socket, request, 0, request.Length);
        }

        /// <summary>Checks that the server accepts connections; opens and closes one without sending data.</summary>
        public static bool Probe(IPEndPoint server, int timeoutMs)
        {
            try
            {
                using (Socket socket = SocketHelpers.ConnectWithTimeout(server, timeoutMs))
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            lock (_sync)
            {
                SocketHelpers.CloseQuietly(_socket);
                _socket = null;
            }
        }
    }

    /// <summary>Thread-per-connection receiver. Accept is polled so Stop() takes effect within half a second.</summary>
    public sealed class FileTransferServer : IDisposable
    {
        private readonly string _directory;
        private readonly int _timeoutMs;
        private readonly object _activeLock = new object();
        private readonly HashSet<string> _activeNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private Socket _listener;
        private Thread _acceptThread;
        private volatile bool _stop;

        public FileTransferServer(string directory, int timeoutMs)
        {
            if (directory == null) throw new ArgumentNullException("directory");
            if (timeoutMs <= 0) throw new ArgumentOutOfRangeException("timeoutMs");
            Directory.CreateDirectory(directory);
            _directory = directory;
            _timeoutMs = timeoutMs;
        }

        public event Action<string> Log;

        public IPEndPoint Start(IPEndPoint local)
        {
            _listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(local);
            _listener.Listen(16);
            _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "ftx-accept" };
            _acceptThread.Start();
            return (IPEndPoint)_listener.LocalEndPoint;
        }

        private void AcceptLoop()
        {
            while (!_stop)
            {
                Socket client;
                try
                {
                    if (!_listener.Poll(500 * 1000, SelectMode.SelectRead))
                        continue;
                    client = _listener.Accept();
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException ex)
                {
                    WriteLog("accept: " + ex.SocketErrorCode);
                    continue;
                }

                client.ReceiveTimeout = _timeoutMs;
                client.SendTimeout = _timeoutMs;
                var worker = new Thread(() => Serve(client)) { IsBackground = true, Name = "ftx-session" };
                worker.Start();
            }
        }

        private void Serve(Socket client)
        {
            byte[] data = new byte[FileTransferProtocol.ChunkSize];
            try
            {
                while (!_stop && ServeOne(client, data))
                {
                }
            }
            catch (Exception ex) when (ex is IOException || ex is SocketException || ex is TimeoutException)
            {
                WriteLog("session ended: " + ex.Message);
            }
            finally
            {
                SocketHelpers.CloseQuietly(client);
            }
        }

        /// <summary>Handles one upload. Returns false when the client closed the connection between uploads.</summary>
        private bool ServeOne(Socket client, byte[] data)
        {
            byte[] head = new byte[6];

            // A clean close is only legal before the first byte of a request.
            if (!client.Poll(SocketHelpers.ToMicroseconds((int)Math.Min(int.MaxValue, _timeoutMs * 10L)), SelectMode.SelectRead))
                return false;
            int first = client.Receive(head, 0, head.Length, SocketFlags.None);
            if (first == 0)
                return false;
            SocketHelpers.ReceiveExactly(client, head, first, head.Length - first, _timeoutMs);

            if (Wire.ReadUInt32(head, 0) != FileTransferProtocol.Magic)
                throw new InvalidDataException("Bad request magic.");

            int nameLength = Wire.ReadUInt16(head, 4);
            if (nameLength == 0 || nameLength > FileTransferProtocol.MaxNameBytes)
                throw new InvalidDataException("Bad name length " + nameLength + ".");

            byte[] rest = new byte[nameLength + 8];
            SocketHelpers.ReceiveExactly(client, rest, 0, rest.Length, _timeoutMs);
            string name = Encoding.UTF8.GetString(rest, 0, nameLength);
            long total = Wire.ReadInt64(rest, nameLength);

            byte[] reply = new byte[FileTransferProtocol.ReplySize];
            if (total < 0 || !FileTransferProtocol.IsSafeName(name) || !TryClaim(name))
            {
                reply[0] = FileTransferProtocol.StatusRejected;
                SocketHelpers.SendAll(client, reply, 0, reply.Length);
                return false;
            }

            try
            {
                return Receive(client, name, total, reply, data);
            }
            finally
            {
                Release(name);
            }
        }

        private bool Receive(Socket client, string name, long total, byte[] reply, byte[] data)
        {
            string finalPath = Path.Combine(_directory, name);
            string partPath = finalPath + ".part";

            using (var part = new FileStream(partPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None))
            {
                long have = part.Length;
                if (have > total)
                {
                    part.SetLength(0);
                    have = 0;
                }
                part.Seek(have, SeekOrigin.Begin);

                reply[0] = FileTransferProtocol.StatusOk;
                Wire.WriteInt64(reply, 1, have);
                SocketHelpers.SendAll(client, reply, 0, reply.Length);

                byte[] header = new byte[FileTransferProtocol.ChunkHeaderSize];
                long received = have;
                while (true)
                {
                    SocketHelpers.ReceiveExactly(client, header, 0, header.Length, _timeoutMs);
                    int length = Wire.ReadInt32(header, 0);
                    if (length == 0)
                        break;
                    if (length < 0 || length > data.Length)
                        throw new InvalidDataException("Chunk length " + length + " is out of range.");
                    if (length > total - received)
                        throw new InvalidDataException("Client sent more than the announced " + total + " bytes.");

                    SocketHelpers.ReceiveExactly(client, data, 0, length, _timeoutMs);
                    if (Crc32.Compute(data, 0, length) != Wire.ReadUInt32(header, 4))
                        throw new InvalidDataException("Chunk checksum mismatch at offset " + received + ".");

                    part.Write(data, 0, length);
                    received += length;
                }

                part.Flush(true);
                if (received != total)
                {
                    reply[0] = FileTransferProtocol.StatusLengthMismatch;
                    SocketHelpers.SendAll(client, reply, 0, 1);
                    return true;
                }
            }

            if (File.Exists(finalPath))
                File.Delete(finalPath);
            File.Move(partPath, finalPath);

            reply[0] = FileTransferProtocol.StatusOk;
            SocketHelpers.SendAll(client, reply, 0, 1);
            WriteLog("received " + name);
            return true;
        }

        private bool TryClaim(string name)
        {
            lock (_activeLock)
                return _activeNames.Add(name);
        }

        private void Release(string name)
        {
            lock (_activeLock)
                _activeNames.Remove(name);
        }

        private void WriteLog(string message)
        {
            Action<string> log = Log;
            if (log != null)
                log(message);
        }

        public void Dispose()
        {
            _stop = true;
            if (_listener != null)
                _listener.Close();
            if (_acceptThread != null)
                _acceptThread.Join(2000);
        }
    }
}
