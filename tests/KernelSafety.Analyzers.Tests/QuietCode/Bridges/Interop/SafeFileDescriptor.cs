using System;
using System.Runtime.InteropServices;

namespace Quiet.Bridges.Interop
{
    /// <summary>
    /// Owns a POSIX file descriptor (a socket or an opened device). The descriptor is closed exactly once,
    /// and never while a native call that borrowed it through <see cref="Acquire"/> is still running.
    /// </summary>
    internal sealed class SafeFileDescriptor : SafeHandle
    {
        private static readonly IntPtr InvalidValue = new IntPtr(-1);

        public SafeFileDescriptor()
            : base(InvalidValue, ownsHandle: true)
        {
        }

        public SafeFileDescriptor(int descriptor, bool ownsHandle)
            : base(InvalidValue, ownsHandle)
        {
            SetHandle(new IntPtr(descriptor));
        }

        public override bool IsInvalid => handle.ToInt64() < 0;

        /// <summary>Keeps the descriptor open until the returned lease is disposed.</summary>
        public Lease Acquire()
        {
            bool added = false;
            DangerousAddRef(ref added);
            return new Lease(this, checked((int)handle.ToInt64()));
        }

        protected override bool ReleaseHandle()
        {
            // Linux releases the descriptor even when close() reports EINTR. Retrying would risk closing
            // a descriptor number that another thread has been handed in the meantime.
            int result = LibC.close(checked((int)handle.ToInt64()));
            return result == 0 || Marshal.GetLastPInvokeError() == LibC.EINTR;
        }

        public readonly ref struct Lease
        {
            private readonly SafeFileDescriptor _owner;

            internal Lease(SafeFileDescriptor owner, int descriptor)
            {
                _owner = owner;
                Descriptor = descriptor;
            }

            public int Descriptor { get; }

            public void Dispose() => _owner.DangerousRelease();
        }
    }
}
