using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Quiet.Interop.Native;

namespace Quiet.Interop.Devices;

[StructLayout(LayoutKind.Sequential)]
internal struct FbBitfield
{
    public uint Offset;
    public uint Length;
    public uint MsbRight;
}

/// <summary>struct fb_var_screeninfo (linux/fb.h), 160 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FbVarScreenInfo
{
    public uint xres, yres, xres_virtual, yres_virtual, xoffset, yoffset, bits_per_pixel, grayscale;
    public FbBitfield red, green, blue, transp;
    public uint nonstd, activate, height, width, accel_flags;
    public uint pixclock, left_margin, right_margin, upper_margin, lower_margin;
    public uint hsync_len, vsync_len, sync, vmode, rotate, colorspace;
    public fixed uint reserved[4];
}

/// <summary>struct fb_fix_screeninfo (linux/fb.h); the "unsigned long" members are pointer sized.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FbFixScreenInfo
{
    public fixed byte id[16];
    public nuint smem_start;
    public uint smem_len;
    public uint type;
    public uint type_aux;
    public uint visual;
    public ushort xpanstep;
    public ushort ypanstep;
    public ushort ywrapstep;
    public uint line_length;
    public nuint mmio_start;
    public uint mmio_len;
    public uint accel;
    public ushort capabilities;
    public fixed ushort reserved[2];
}

/// <summary>
/// Double-buffered drawing onto a memory-mapped Linux framebuffer. Drawing goes to a tightly packed
/// native back buffer; <see cref="Present"/> copies it row by row into the mapping, honouring line_length.
/// </summary>
public sealed unsafe class Framebuffer : IDisposable
{
    private const uint FBIOGET_VSCREENINFO = 0x4600;
    private const uint FBIOGET_FSCREENINFO = 0x4602;
    private const int PROT_READ = 0x1;
    private const int PROT_WRITE = 0x2;
    private const int MAP_SHARED = 0x01;

    [DllImport(LibC.Name, SetLastError = true)]
    private static extern void* mmap(void* address, nuint length, int protection, int flags, FileDescriptorHandle fd, nint offset);

    [DllImport(LibC.Name, SetLastError = true)]
    private static extern int munmap(void* address, nuint length);

    private readonly FileDescriptorHandle _fd;
    private readonly object _sync = new();
    private readonly nuint _mapLength;
    private readonly nuint _visibleOffset;
    private readonly nuint _backLength;
    private byte* _map;
    private byte* _back;

    public Framebuffer(string devicePath = "/dev/fb0")
    {
        _fd = FileDescriptorHandle.Open(devicePath, LibC.O_RDWR);
        try
        {
            FbFixScreenInfo fix = default;
            FbVarScreenInfo var = default;
            if (LibC.Ioctl(_fd, FBIOGET_FSCREENINFO, &fix) < 0)
            {
                throw NativeIOException.FromLastError("ioctl(FBIOGET_FSCREENINFO)");
            }

            if (LibC.Ioctl(_fd, FBIOGET_VSCREENINFO, &var) < 0)
            {
                throw NativeIOException.FromLastError("ioctl(FBIOGET_VSCREENINFO)");
            }

            if (var.bits_per_pixel is not (16 or 32))
            {
                throw new NotSupportedException($"{var.bits_per_pixel} bpp framebuffers are not supported.");
            }

            BytesPerPixel = (int)(var.bits_per_pixel / 8);
            Width = checked((int)var.xres);
            Height = checked((int)var.yres);
            RowBytes = checked(Width * BytesPerPixel);
            Stride = checked((int)fix.line_length);

            if (Width == 0 || Height == 0 || Stride < RowBytes)
            {
                throw new InvalidDataException($"Inconsistent geometry: {Width}x{Height}, line_length {Stride}.");
            }

            // The visible window must lie entirely inside the video memory we are about to map.
            ulong visibleOffset = (ulong)var.yoffset * fix.line_length + (ulong)var.xoffset * (ulong)BytesPerPixel;
            ulong visibleEnd = visibleOffset + (ulong)(Height - 1) * (ulong)Stride + (ulong)RowBytes;
            if (visibleEnd > fix.smem_len)
            {
                throw new InvalidDataException($"Visible area ends at {visibleEnd}, video memory is {fix.smem_len} bytes.");
            }

            ulong backLength = (ulong)RowBytes * (ulong)Height;
            if (backLength > int.MaxValue)
            {
                throw new NotSupportedException("Framebuffer too large for a span-addressable back buffer.");
            }

            _mapLength = fix.smem_len;
            _visibleOffset = (nuint)visibleOffset;
            _backLength = (nuint)backLength;

            void* map = mmap(null, _mapLength, PROT_READ | PROT_WRITE, MAP_SHARED, _fd, 0);
            if ((nint)map == -1) // MAP_FAILED
            {
                throw NativeIOException.FromLastError("mmap");
            }

            _map = (byte*)map;
            _back = (byte*)NativeMemory.AllocZeroed(_backLength);
        }
        catch
        {
            ReleaseResources();
            throw;
        }
    }

    public int Width { get; }

    public int Height { get; }

    public int BytesPerPixel { get; }

    /// <summary>Bytes of visible pixels per row.</summary>
    public int RowBytes { get; }

    /// <summary>Bytes between the starts of two rows in video memory (line_length).</summary>
    public int Stride { get; }

    public void Clear(uint colour)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            if (BytesPerPixel == 4)
            {
                new Span<uint>(_back, Width * Height).Fill(colour);
            }
            else
            {
                new Span<ushort>(_back, Width * Height).Fill((ushort)(colour & 0xFFFF));
            }
        }
    }

    /// <summary>Draws a 32-bit image with its top-left corner at (x, y), clipped to the screen.</summary>
    public void Blit(ReadOnlySpan<uint> pixels, int imageWidth, int imageHeight, int x, int y)
    {
        if (BytesPerPixel != 4)
        {
            throw new NotSupportedException("Blit expects a 32 bpp framebuffer.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegative(imageHeight);
        if ((long)imageWidth * imageHeight > pixels.Length)
        {
            throw new ArgumentException("Pixel data is smaller than imageWidth * imageHeight.", nameof(pixels));
        }

        // Clip in 64-bit arithmetic so extreme coordinates cannot overflow.
        long srcX = Math.Max(0L, -(long)x);
        long srcY = Math.Max(0L, -(long)y);
        long dstX = Math.Max(0L, x);
        long dstY = Math.Max(0L, y);
        long copyWidth = Math.Min(imageWidth - srcX, Width - dstX);
        long copyHeight = Math.Min(imageHeight - srcY, Height - dstY);
        if (copyWidth <= 0 || copyHeight <= 0)
        {
            return;
        }

        lock (_sync)
        {
            ThrowIfDisposed();
            var screen = new Span<uint>(_back, Width * Height);
            for (long row = 0; row < copyHeight; row++)
            {
                ReadOnlySpan<uint> source = pixels.Slice((int)((srcY + row) * imageWidth + srcX), (int)copyWidth);
                source.CopyTo(screen.Slice((int)((dstY + row) * Width + dstX), (int)copyWidth));
            }
        }
    }

    /// <summary>Copies the back buffer into video memory.</summary>
    public void Present()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            byte* visible = _map + _visibleOffset;

            if (Stride == RowBytes)
            {
                // Rows are contiguous in video memory too: one block copy of exactly the back buffer's size,
                // which the constructor proved fits between the visible offset and the end of the mapping.
                Unsafe.CopyBlockUnaligned(visible, _back, (uint)_backLength);
                return;
            }

            for (int row = 0; row < Height; row++)
            {
                byte* destination = visible + (nuint)row * (nuint)Stride;
                long destinationCapacity = (long)(_mapLength - (nuint)(destination - _map));
                Buffer.MemoryCopy(_back + (nuint)row * (nuint)RowBytes, destination, destinationCapacity, RowBytes);
            }
        }
    }

    /// <summary>Returns the visible screen as a packed byte array (RowBytes * Height).</summary>
    public byte[] Capture()
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            var image = new byte[(int)_backLength];
            byte* visible = _map + _visibleOffset;
            for (int row = 0; row < Height; row++)
            {
                Marshal.Copy((IntPtr)(visible + (nuint)row * (nuint)Stride), image, row * RowBytes, RowBytes);
            }

            return image;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_map == null, this);

    private void ReleaseResources()
    {
        if (_map != null)
        {
            if (munmap(_map, _mapLength) != 0)
            {
                Debug.WriteLine($"munmap failed with errno {Marshal.GetLastPInvokeError()}");
            }

            _map = null;
        }

        if (_back != null)
        {
            NativeMemory.Free(_back);
            _back = null;
        }

        _fd.Dispose();
    }

    public void Dispose()
    {
        lock (_sync)
        {
            ReleaseResources();
        }
    }
}
