using System.Runtime.InteropServices;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Trainer.Grains.Transport;

/// <summary>
/// Weights or gradients on the wire: float32 values sent as one raw little-endian block. Orleans
/// would send a plain float[] element by element (docs/architecture.md: 14 ms against 2.8 ms for 203,530
/// floats), so vectors travel in this type, whose codec writes and reads the bytes in bulk.
/// Immutable by convention: whoever sends one does not change its array until the call completes,
/// which lets calls inside a silo pass it without a copy.
/// </summary>
[Immutable]
public sealed class FloatVector(float[] values)
{
    public float[] Values { get; } = values;
    public long Bytes => (long)Values.Length * sizeof(float);

    /// <summary>Sent to a silo of this process: by handle, not by value (<see cref="ProcessVectors"/>). Not itself sent.</summary>
    public bool InProcess { get; init; }

    /// <summary>Every value is exactly a bfloat16 (its low 16 bits zero, <see cref="Core.Training.Bfloat16"/>): sent as the high halves only.</summary>
    public bool Bfloat16 { get; init; }
}

/// <summary>
/// The bulk codec of <see cref="FloatVector"/>: a length prefix, then the raw bytes. A length that is not
/// a multiple of a float's size starts with a marker: for a vector marked in-process, a handle of
/// <see cref="HandleBytes"/> bytes (the marker, the writing process's token and the handle); for a
/// bfloat16 vector, the marker and the high 16 bits of each value.
/// </summary>
[RegisterSerializer]
public sealed class FloatVectorCodec : IFieldCodec<FloatVector>
{
    private const int HandleBytes = 17;
    private const byte HandleMarker = 0xFE, Bfloat16Marker = 0xBF;

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, FloatVector? value)
        where TBufferWriter : System.Buffers.IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value) || value is null) return;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("float vectors are sent little-endian");
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(FloatVector), WireType.LengthPrefixed);
        if (value.InProcess)
        {
            Span<byte> handle = stackalloc byte[HandleBytes];
            handle[0] = HandleMarker;
            BitConverter.TryWriteBytes(handle[1..], ProcessVectors.ProcessToken);
            BitConverter.TryWriteBytes(handle[9..], ProcessVectors.Hold(value.Values));
            writer.WriteVarUInt32(HandleBytes);
            writer.Write(handle);
            return;
        }
        if (value.Bfloat16)
        {
            WriteBfloat16(ref writer, value.Values);
            return;
        }
        var bytes = MemoryMarshal.AsBytes(value.Values.AsSpan());
        writer.WriteVarUInt32((uint)bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteBfloat16<TBufferWriter>(ref Writer<TBufferWriter> writer, float[] values) where TBufferWriter : System.Buffers.IBufferWriter<byte>
    {
        writer.WriteVarUInt32((uint)(1 + 2 * values.Length));
        writer.WriteByte(Bfloat16Marker);
        var halves = System.Buffers.ArrayPool<ushort>.Shared.Rent(Math.Min(values.Length, 1 << 16));
        try
        {
            for (var start = 0; start < values.Length; start += halves.Length) // in chunks: no second copy of a large vector
            {
                var chunk = values.AsSpan(start, Math.Min(halves.Length, values.Length - start));
                var bits = MemoryMarshal.Cast<float, uint>(chunk);
                for (var i = 0; i < bits.Length; i++)
                {
                    if ((bits[i] & 0xFFFF) != 0) throw new InvalidOperationException($"a bfloat16 vector holds {chunk[i]}, which is not one: round it first");
                    halves[i] = (ushort)(bits[i] >> 16);
                }
                writer.Write(MemoryMarshal.AsBytes(halves.AsSpan(0, chunk.Length)));
            }
        }
        finally { System.Buffers.ArrayPool<ushort>.Shared.Return(halves); }
    }

    private static float[] ReadBfloat16<TInput>(ref Reader<TInput> reader, uint length)
    {
        if (length % 2 != 1) throw new InvalidDataException($"a bfloat16 vector of {length} bytes");
        var values = GC.AllocateUninitializedArray<float>((int)((length - 1) / 2));
        var bits = MemoryMarshal.Cast<float, uint>(values.AsSpan());
        var halves = MemoryMarshal.Cast<float, ushort>(values.AsSpan())[values.Length..]; // read into the array's upper half, then spread downwards
        reader.ReadBytes(MemoryMarshal.AsBytes(halves));
        for (var i = 0; i < bits.Length; i++) bits[i] = (uint)halves[i] << 16; // element i's half lies at or after byte 4i: not yet overwritten
        return values;
    }

    public FloatVector ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference) return ReferenceCodec.ReadReference<FloatVector, TInput>(ref reader, field)!;
        field.EnsureWireType(WireType.LengthPrefixed);
        var length = reader.ReadVarUInt32();
        if (length % sizeof(float) != 0)
        {
            var marker = reader.ReadByte();
            FloatVector marked;
            if (marker == HandleMarker && length == HandleBytes)
            {
                Span<byte> handle = stackalloc byte[HandleBytes - 1];
                reader.ReadBytes(handle);
                marked = new FloatVector(ProcessVectors.Take(BitConverter.ToInt64(handle), BitConverter.ToInt64(handle[8..])));
            }
            else if (marker == Bfloat16Marker) marked = new FloatVector(ReadBfloat16(ref reader, length)) { Bfloat16 = true };
            else throw new InvalidDataException($"a float vector of {length} bytes with marker 0x{marker:X2}");
            ReferenceCodec.RecordObject(reader.Session, marked);
            return marked;
        }
        var values = GC.AllocateUninitializedArray<float>((int)(length / sizeof(float))); // every element is read next
        reader.ReadBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        var result = new FloatVector(values);
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }
}

/// <summary>No deep copy: a <see cref="FloatVector"/> is immutable by convention.</summary>
[RegisterCopier]
public sealed class FloatVectorCopier : IDeepCopier<FloatVector>
{
    public FloatVector? DeepCopy(FloatVector? input, CopyContext context) => input;
}
