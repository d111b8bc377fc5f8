/* The samples of a baseline JPEG scan at 1/8 scale, with the scan read on two threads.
 *
 * At 1/8 scale libjpeg turns each 8x8 block into one sample taken from its DC coefficient, or,
 * for a chroma block subsampled 2x2, into 2x2 samples taken from a few low-frequency
 * coefficients. It still reads every other coefficient to find where the next block starts, on
 * one core, and that reading is most of the time a 12-megapixel photo takes to preprocess. This
 * module reads the Huffman codes of one interleaved baseline scan, keeps only the coefficients
 * those samples need, and splits the scan between two threads. It computes the samples as
 * libjpeg's jpeg_idct_1x1 and jpeg_idct_2x2 (jidctred.c) do, and tests/classifier/test_jpeg_scan.py
 * checks that they equal Pillow's draft mode.
 *
 * NOTE: the samples can differ from Pillow's for a damaged file whose dequantized coefficients
 * overflow 16 bits. libjpeg-turbo's SSE2 code for the 2x2 inverse DCT multiplies and packs in 16 bits,
 * while this module, like libjpeg's C code, does not. Files that encoders write stay within range.
 *
 * How the scan is split: the second thread starts in the middle of the scan, where no block
 * boundary is known, and decodes from a guessed state. Its first blocks are wrong, but Huffman
 * codes fall back into step after a short while, so its block starts soon match the real ones.
 * It records the first SYNC_RECORDS block starts it passes: their bit position and their place
 * in the MCU. The first thread decodes from the start. When it reaches a block start that the
 * second thread recorded, both threads would decode the same blocks from there on, so the first
 * thread stops and takes the rest from the second. A DC coefficient is coded as a difference
 * from the previous block of its component, so the differences are added up once both halves
 * are known.
 *
 * A scan with restart markers is simpler to split: each restart interval starts on a byte
 * boundary with fresh DC predictions, so the second thread starts at the interval nearest the
 * middle and no matching is needed.
 *
 * A code that is not in its table, or a scan that ends early, raises ValueError. The caller then
 * decodes the file with Pillow, so a file this module refuses is handled as before. When the two
 * threads never fall into step, the first thread reads the whole scan alone.
 *
 * The GIL is released while the scan is read.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Codes of up to LOOKAHEAD bits, and AC codes whose extra bits also fit, take one table lookup.
 * Longer ones take a search by code length. 12 bits was the fastest of 9 to 14 on an Intel Xeon. */
#define LOOKAHEAD 12
#define MAX_BLOCKS_PER_MCU 10
#define MAX_COMPONENTS 4
#define MAX_TABLES 4
/* The number of block starts that the second thread records. */
#define SYNC_RECORDS 8192
/* The number of decode errors that the second thread accepts before it is in step. After that
 * many it stops, and the first thread reads the whole scan. */
#define MAX_RETRIES 64
/* A scan shorter than this is read on one thread, because a second one would save little. */
#define MIN_SPLIT_BYTES 65536
/* `skip` advances for the two AC symbols without a coefficient: end of block (EOB) and a run of
 * 16 zeros (ZRL). A run of 15 zeros and then a coefficient also advances 16 positions. */
#define END_OF_BLOCK 0xff
#define SIXTEEN_ZEROS 0xfe
/* A 2x2 output reads the coefficients in rows and columns 0, 1, 3, 5 and 7 of its block: the
 * "kept" coefficients of this file. */
#define KEPT 25

/* Natural (row-major) position of each coefficient in zigzag order. The 16 extra entries catch a
 * run that goes past the last coefficient, as libjpeg's table does. */
static const uint8_t natural_order[64 + 16] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33,
    40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36,
    29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
};
/* Where a coefficient at each natural position goes among the KEPT ones a 2x2 output reads
 * (row-major over rows and columns 0, 1, 3, 5, 7), or -1 when the output does not read it. */
static const int8_t kept_slot[64] = {
    0,  1,  -1, 2,  -1, 3,  -1, 4,  5,  6,  -1, 7,  -1, 8,  -1, 9,
    -1, -1, -1, -1, -1, -1, -1, -1, 10, 11, -1, 12, -1, 13, -1, 14,
    -1, -1, -1, -1, -1, -1, -1, -1, 15, 16, -1, 17, -1, 18, -1, 19,
    -1, -1, -1, -1, -1, -1, -1, -1, 20, 21, -1, 22, -1, 23, -1, 24,
};

typedef struct {
    /* Codes of up to LOOKAHEAD bits: (length << 8) | symbol, or 0 when the code is longer. */
    uint16_t lookup[1 << LOOKAHEAD];
    /* AC only: (code length + extra bits) << 8 | coefficients advanced, END_OF_BLOCK or
     * SIXTEEN_ZEROS, or 0 when the code and its extra bits do not fit in LOOKAHEAD bits. */
    uint16_t skip[1 << LOOKAHEAD];
    /* AC only: the coefficient value of a `skip` entry that codes one. */
    int16_t skip_value[1 << LOOKAHEAD];
    int32_t max_code[18];
    int32_t value_offset[17];
    uint8_t values[256];
} HuffmanTable;

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t next_byte;
    uint64_t buffer;
    int count;
} BitReader;

typedef struct {
    int blocks_per_mcu;
    int kept_per_mcu;
    int component_count;
    int component[MAX_BLOCKS_PER_MCU];
    int scaled_size[MAX_BLOCKS_PER_MCU];
    /* The block's row and column among its component's blocks in one MCU. */
    int block_row[MAX_BLOCKS_PER_MCU];
    int block_column[MAX_BLOCKS_PER_MCU];
    const HuffmanTable *dc[MAX_BLOCKS_PER_MCU];
    const HuffmanTable *ac[MAX_BLOCKS_PER_MCU];
    int32_t quant[MAX_COMPONENTS][64];
    /* Samples per MCU of each component, across and down. */
    int mcu_width[MAX_COMPONENTS];
    int mcu_height[MAX_COMPONENTS];
} ScanLayout;

/* Where one thread's blocks go: DC differences for every block, kept coefficients for blocks
 * with 2x2 output. */
typedef struct {
    int16_t *differences;
    int16_t *kept;
    int64_t capacity;
    int64_t kept_capacity;
} BlockStore;

typedef struct {
    uint64_t bit;
    int64_t block;
    int64_t kept_block;
    int place;
} BlockStart;

/* Input and output of the second thread. */
typedef struct {
    const ScanLayout *layout;
    const uint8_t *data;
    size_t size;
    uint64_t start_bit;
    BlockStore store;
    BlockStart *records;
    atomic_int recorded;
    atomic_int stop;
    int64_t decoded;
    int64_t retries[MAX_RETRIES];
    int retry_count;
} SecondHalf;

/* The signed value of `size` extra bits (HUFF_EXTEND in libjpeg). */
static inline int extend(uint32_t bits, int size) {
    if (size == 0) return 0;
    return bits < (1u << (size - 1)) ? (int)bits - (1 << size) + 1 : (int)bits;
}

static int build_table(HuffmanTable *table, const uint8_t *counts, const uint8_t *values,
                       Py_ssize_t value_count, int is_ac) {
    memset(table, 0, sizeof *table);
    if (value_count > 256) return -1;
    memcpy(table->values, values, (size_t)value_count);
    int32_t code = 0;
    Py_ssize_t index = 0;
    for (int length = 1; length <= 16; length++) {
        table->value_offset[length] = (int32_t)index - code;
        /* The codes of a length must fit in its bits, and none may be all ones, or libjpeg
         * rejects the table (JERR_BAD_HUFF_TABLE). Checked before the codes are written. */
        if (code + counts[length - 1] >= (1 << length)) return -1;
        for (int i = 0; i < counts[length - 1]; i++) {
            if (index >= value_count) return -1;
            uint8_t symbol = values[index];
            /* libjpeg rejects a DC table with a symbol over 15 (JERR_BAD_HUFF_TABLE). */
            if (!is_ac && symbol > 15) return -1;
            if (length <= LOOKAHEAD) {
                int spare = LOOKAHEAD - length;
                int extra = symbol & 15;
                int run = symbol >> 4;
                for (int low = 0; low < (1 << spare); low++) {
                    int slot = (code << spare) | low;
                    table->lookup[slot] = (uint16_t)((length << 8) | symbol);
                    if (is_ac && length + extra <= LOOKAHEAD) {
                        int advance = extra ? run + 1 : (run == 15 ? SIXTEEN_ZEROS : END_OF_BLOCK);
                        table->skip[slot] = (uint16_t)(((length + extra) << 8) | advance);
                        table->skip_value[slot] = (int16_t)extend(low >> (spare - extra), extra);
                    }
                }
            }
            code++;
            index++;
        }
        table->max_code[length] = counts[length - 1] ? code - 1 : -1;
        code <<= 1;
    }
    table->max_code[17] = INT32_MAX;
    return index == value_count ? 0 : -1;
}

static inline void refill(BitReader *reader) {
    while (reader->count <= 56) {
        uint8_t byte = reader->next_byte < reader->size ? reader->data[reader->next_byte] : 0;
        reader->next_byte++;
        reader->buffer |= (uint64_t)byte << (56 - reader->count);
        reader->count += 8;
    }
}

static inline uint32_t peek(const BitReader *reader, int bits) {
    return (uint32_t)(reader->buffer >> (64 - bits));
}

static inline void consume(BitReader *reader, int bits) {
    reader->buffer <<= bits;
    reader->count -= bits;
}

static inline uint64_t bit_position(const BitReader *reader) {
    return (uint64_t)reader->next_byte * 8 - (uint64_t)reader->count;
}

static void seek(BitReader *reader, uint64_t bit) {
    reader->next_byte = (size_t)(bit / 8);
    reader->buffer = 0;
    reader->count = 0;
    refill(reader);
    consume(reader, (int)(bit % 8));
}

/* Decode one symbol, or return -1 when the bits match no code. The reader contains 16 bits or more. */
static inline int decode_symbol(BitReader *reader, const HuffmanTable *table) {
    uint16_t entry = table->lookup[peek(reader, LOOKAHEAD)];
    if (entry) {
        consume(reader, entry >> 8);
        return entry & 0xff;
    }
    for (int length = LOOKAHEAD + 1; length <= 16; length++) {
        int32_t code = (int32_t)peek(reader, length);
        if (code <= table->max_code[length]) {
            consume(reader, length);
            return table->values[(table->value_offset[length] + code) & 0xff];
        }
    }
    return -1;
}

/* Read `size` extra bits as a signed coefficient value. */
static inline int read_value(BitReader *reader, int size) {
    if (size == 0) return 0;
    uint32_t bits = peek(reader, size);
    consume(reader, size);
    return extend(bits, size);
}

/* Read one block: its DC difference into *difference and, when `kept` is not NULL, the
 * coefficients a 2x2 output needs into kept[0..KEPT). Returns -1 on a code not in its table. */
static inline int read_block(BitReader *reader, const HuffmanTable *dc, const HuffmanTable *ac,
                             int *difference, int16_t *kept) {
    refill(reader);
    int size = decode_symbol(reader, dc);
    if (size < 0) return -1;
    *difference = read_value(reader, size);
    if (kept) {
        memset(kept, 0, KEPT * sizeof(int16_t));
        for (int k = 1; k < 64;) {
            if (reader->count < 32) refill(reader);
            uint32_t bits = peek(reader, LOOKAHEAD);
            uint16_t entry = ac->skip[bits];
            int run;
            int value;
            if (entry) {
                consume(reader, entry >> 8);
                int advance = entry & 0xff;
                if (advance == END_OF_BLOCK) break;
                if (advance == SIXTEEN_ZEROS) {
                    k += 16;
                    continue;
                }
                run = advance - 1;
                value = ac->skip_value[bits];
            } else {
                int symbol = decode_symbol(reader, ac);
                if (symbol < 0) return -1;
                run = symbol >> 4;
                int extra = symbol & 15;
                if (extra == 0) {
                    if (run != 15) break;
                    k += 16;
                    continue;
                }
                value = read_value(reader, extra);
            }
            k += run;
            int slot = kept_slot[natural_order[k]];
            if (slot >= 0) kept[slot] = (int16_t)value;
            k++;
        }
        return 0;
    }
    for (int k = 1; k < 64;) {
        if (reader->count < 32) refill(reader);
        uint16_t entry = ac->skip[peek(reader, LOOKAHEAD)];
        if (entry) {
            consume(reader, entry >> 8);
            int advance = entry & 0xff;
            if (advance == END_OF_BLOCK) break;
            k += advance == SIXTEEN_ZEROS ? 16 : advance;
            continue;
        }
        int symbol = decode_symbol(reader, ac);
        if (symbol < 0) return -1;
        int run = symbol >> 4;
        int extra = symbol & 15;
        if (extra == 0) {
            if (run != 15) break;
            k += 16;
            continue;
        }
        consume(reader, extra);
        k += run + 1;
    }
    return 0;
}

static void *decode_second_half(void *argument) {
    SecondHalf *half = argument;
    const ScanLayout *layout = half->layout;
    BlockStore *store = &half->store;
    BitReader reader = {half->data, half->size, 0, 0, 0};
    uint64_t end_bit = (uint64_t)half->size * 8;
    int place = 0;
    int recorded = 0;
    int64_t block = 0;
    int64_t kept_block = 0;
    seek(&reader, half->start_bit);

    while (block < store->capacity && !atomic_load_explicit(&half->stop, memory_order_relaxed)) {
        uint64_t block_bit = bit_position(&reader);
        if (block_bit >= end_bit) break;
        if (recorded < SYNC_RECORDS) {
            half->records[recorded] = (BlockStart){block_bit, block, kept_block, place};
            recorded++;
            atomic_store_explicit(&half->recorded, recorded, memory_order_release);
        }

        int16_t *kept = NULL;
        if (layout->scaled_size[place] == 2) {
            if (kept_block == store->kept_capacity) break;
            kept = store->kept + kept_block * KEPT;
        }
        int difference;
        if (read_block(&reader, layout->dc[place], layout->ac[place], &difference, kept) < 0) {
            /* Not in step yet, or damaged data. Try again one bit further on. */
            if (half->retry_count == MAX_RETRIES) break;
            half->retries[half->retry_count++] = block;
            seek(&reader, block_bit + 1);
            place = 0;
            continue;
        }
        if (bit_position(&reader) > end_bit) break;
        store->differences[block++] = (int16_t)difference;
        if (kept) kept_block++;
        place = place + 1 == layout->blocks_per_mcu ? 0 : place + 1;
    }
    half->decoded = block;
    return NULL;
}

/* Whether the second thread decoded `needed` blocks from its block `first` on, with no error. */
static int second_half_covers(const SecondHalf *half, int64_t first, int64_t needed) {
    if (first + needed > half->decoded) return 0;
    for (int i = 0; i < half->retry_count; i++) {
        if (half->retries[i] >= first && half->retries[i] < first + needed) return 0;
    }
    return 1;
}

static int allocate_store(BlockStore *store, int64_t capacity, int64_t kept_capacity) {
    store->capacity = capacity;
    store->kept_capacity = kept_capacity;
    store->differences = malloc((size_t)capacity * sizeof(int16_t));
    store->kept = malloc((size_t)(kept_capacity > 0 ? kept_capacity : 1) * KEPT * sizeof(int16_t));
    return store->differences && store->kept ? 0 : -1;
}

static void free_store(BlockStore *store) {
    free(store->differences);
    free(store->kept);
    store->differences = NULL;
    store->kept = NULL;
}

/* Start the second thread on the second half of the scan. Returns 1 when it runs. */
static int start_second_half(SecondHalf *half, pthread_t *thread, const ScanLayout *layout,
                             const uint8_t *data, size_t size, int64_t block_count,
                             int64_t kept_count) {
    memset(half, 0, sizeof *half);
    half->layout = layout;
    half->data = data;
    half->size = size;
    half->start_bit = (uint64_t)(size / 2) * 8;
    atomic_init(&half->recorded, 0);
    atomic_init(&half->stop, 0);
    /* Blocks decoded before the threads fall into step are extra, so leave room for them. */
    half->records = malloc(SYNC_RECORDS * sizeof(BlockStart));
    if (half->records && allocate_store(&half->store, block_count + SYNC_RECORDS,
                                        kept_count + SYNC_RECORDS) == 0 &&
        pthread_create(thread, NULL, decode_second_half, half) == 0) {
        return 1;
    }
    free(half->records);
    free_store(&half->store);
    return 0;
}

/* Read every block of the scan into `store`. Returns 0, or -1 when the data does not decode. */
static int decode_scan(const ScanLayout *layout, const uint8_t *data, size_t size,
                       int64_t block_count, int threads, BlockStore *store, int *split) {
    BitReader reader = {data, size, 0, 0, 0};
    uint64_t end_bit = (uint64_t)size * 8;
    int64_t kept_count = store->kept_capacity;
    SecondHalf half;
    pthread_t thread;
    int running = threads > 1 && size >= MIN_SPLIT_BYTES &&
                  start_second_half(&half, &thread, layout, data, size, block_count, kept_count);
    int owns_half = running;
    int checking = running;
    int next_record = 0;
    int place = 0;
    int64_t kept_block = 0;
    int status = 0;
    *split = 0;

    for (int64_t block = 0; block < block_count; block++) {
        if (checking && bit_position(&reader) >= half.start_bit) {
            uint64_t bit = bit_position(&reader);
            int recorded = atomic_load_explicit(&half.recorded, memory_order_acquire);
            while (next_record < recorded && half.records[next_record].bit < bit) next_record++;
            if (next_record < recorded && half.records[next_record].bit == bit &&
                half.records[next_record].place == place) {
                /* In step: the second thread's blocks from here on are this scan's. */
                pthread_join(thread, NULL);
                running = 0;
                checking = 0;
                const BlockStart *start = &half.records[next_record];
                if (second_half_covers(&half, start->block, block_count - block)) {
                    memcpy(store->differences + block, half.store.differences + start->block,
                           (size_t)(block_count - block) * sizeof(int16_t));
                    memcpy(store->kept + kept_block * KEPT, half.store.kept + start->kept_block * KEPT,
                           (size_t)(kept_count - kept_block) * KEPT * sizeof(int16_t));
                    *split = 1;
                    break;
                }
            } else if (next_record == SYNC_RECORDS) {
                /* Past every recorded start without a match: read the rest alone. */
                checking = 0;
                atomic_store_explicit(&half.stop, 1, memory_order_relaxed);
            }
        }
        int16_t *kept = layout->scaled_size[place] == 2 ? store->kept + kept_block * KEPT : NULL;
        int difference;
        if (read_block(&reader, layout->dc[place], layout->ac[place], &difference, kept) < 0 ||
            bit_position(&reader) > end_bit) {
            status = -1;
            break;
        }
        store->differences[block] = (int16_t)difference;
        if (kept) kept_block++;
        place = place + 1 == layout->blocks_per_mcu ? 0 : place + 1;
    }

    if (running) {
        atomic_store_explicit(&half.stop, 1, memory_order_relaxed);
        pthread_join(thread, NULL);
    }
    if (owns_half) {
        free(half.records);
        free_store(&half.store);
    }
    return status;
}

/* Restart intervals of a scan: `interval` MCUs each, the last one shorter. */
typedef struct {
    int64_t interval;
    int64_t count;
    /* Offset of each interval in the unstuffed scan, then the end of the last one. */
    size_t *starts;
} RestartIntervals;

/* The restart intervals that one thread reads, and its status. */
typedef struct {
    const ScanLayout *layout;
    const uint8_t *data;
    const RestartIntervals *intervals;
    int64_t first;
    int64_t last;
    int64_t mcu_count;
    BlockStore *store;
    int status;
} IntervalRange;

/* Read the intervals first to last - 1 into the store, at their own block positions. */
static void *decode_intervals(void *argument) {
    IntervalRange *range = argument;
    const ScanLayout *layout = range->layout;
    const RestartIntervals *intervals = range->intervals;
    range->status = 0;
    for (int64_t k = range->first; k < range->last; k++) {
        /* The reader ends where the interval does, so an overrun reads zeros and is caught below. */
        BitReader reader = {range->data, intervals->starts[k + 1], 0, 0, 0};
        uint64_t end_bit = (uint64_t)intervals->starts[k + 1] * 8;
        seek(&reader, (uint64_t)intervals->starts[k] * 8);
        int64_t mcu = k * intervals->interval;
        int64_t mcu_end = mcu + intervals->interval;
        if (mcu_end > range->mcu_count) mcu_end = range->mcu_count;
        int64_t block = mcu * layout->blocks_per_mcu;
        int16_t *kept = range->store->kept + mcu * layout->kept_per_mcu * KEPT;
        for (; mcu < mcu_end; mcu++) {
            for (int place = 0; place < layout->blocks_per_mcu; place++) {
                int16_t *block_kept = layout->scaled_size[place] == 2 ? kept : NULL;
                int difference;
                if (read_block(&reader, layout->dc[place], layout->ac[place], &difference, block_kept) < 0 ||
                    bit_position(&reader) > end_bit) {
                    range->status = -1;
                    return NULL;
                }
                range->store->differences[block++] = (int16_t)difference;
                if (block_kept) kept += KEPT;
            }
        }
    }
    return NULL;
}

/* Read a scan with restart intervals, the second half of them on a second thread when `threads` > 1. */
static int decode_scan_intervals(const ScanLayout *layout, const uint8_t *data,
                                 const RestartIntervals *intervals, int64_t mcu_count, int threads,
                                 BlockStore *store, int *split) {
    int64_t middle = threads > 1 && intervals->count > 1 ? intervals->count / 2 : intervals->count;
    IntervalRange first = {layout, data, intervals, 0, middle, mcu_count, store, 0};
    IntervalRange second = {layout, data, intervals, middle, intervals->count, mcu_count, store, 0};
    pthread_t thread;
    *split = middle < intervals->count && pthread_create(&thread, NULL, decode_intervals, &second) == 0;
    decode_intervals(&first);
    if (*split) {
        pthread_join(thread, NULL);
    } else if (middle < intervals->count) {
        decode_intervals(&second);
    }
    return first.status == 0 && second.status == 0 ? 0 : -1;
}

/* libjpeg's range limit after an inverse DCT: the value plus 128, clamped, with the index masked
 * to 10 bits as libjpeg masks it (IDCT_range_limit and RANGE_MASK). */
static inline uint8_t idct_limit(int64_t value) {
    int index = (int)(value & 1023);
    if (index < 128) return (uint8_t)(index + 128);
    if (index < 512) return 255;
    if (index < 896) return 0;
    return (uint8_t)(index - 896);
}

static inline int64_t descale(int64_t value, int bits) {
    return (value + ((int64_t)1 << (bits - 1))) >> bits;
}

/* The odd part of libjpeg's 2-point inverse DCT, from inputs 1, 3, 5 and 7 (CONST_BITS 13). */
static inline int64_t odd_part(int64_t one, int64_t three, int64_t five, int64_t seven) {
    return one * 29692 - three * 10426 + five * 6967 - seven * 5906;
}

/* Write the 2x2 samples of one block, from its DC value and kept coefficients, as jpeg_idct_2x2
 * does. `top` and `bottom` point at the two output rows. */
static void inverse_dct_2x2(int dc, const int16_t *kept, const int32_t *quant, uint8_t *top,
                            uint8_t *bottom) {
    int any_ac = 0;
    for (int i = 1; i < KEPT; i++) any_ac |= kept[i];
    if (!any_ac) {
        /* The full computation gives this same value in all four samples. */
        uint8_t flat = idct_limit(descale((int64_t)dc * quant[0], 3));
        top[0] = top[1] = bottom[0] = bottom[1] = flat;
        return;
    }
    static const int natural[5] = {0, 1, 3, 5, 7};
    /* Pass 1, down each kept column: two values, kept in 32 bits as libjpeg's workspace is. A
     * column whose odd rows are all zero gives its DC term twice, scaled, as libjpeg's shortcut does. */
    int32_t work[2][5];
    for (int c = 0; c < 5; c++) {
        int64_t top_value = (int64_t)(c == 0 ? dc : kept[c]) * quant[natural[c]];
        if (!(kept[5 + c] | kept[10 + c] | kept[15 + c] | kept[20 + c])) {
            work[0][c] = work[1][c] = (int32_t)(top_value * 4);
            continue;
        }
        int64_t odd = odd_part((int64_t)kept[5 + c] * quant[8 + natural[c]],
                               (int64_t)kept[10 + c] * quant[24 + natural[c]],
                               (int64_t)kept[15 + c] * quant[40 + natural[c]],
                               (int64_t)kept[20 + c] * quant[56 + natural[c]]);
        int64_t even = top_value * ((int64_t)1 << 15);
        work[0][c] = (int32_t)descale(even + odd, 13);
        work[1][c] = (int32_t)descale(even - odd, 13);
    }
    /* Pass 2, along each of the two rows. */
    uint8_t *rows[2] = {top, bottom};
    for (int r = 0; r < 2; r++) {
        int64_t even = (int64_t)work[r][0] * ((int64_t)1 << 15);
        int64_t odd = odd_part(work[r][1], work[r][2], work[r][3], work[r][4]);
        rows[r][0] = idct_limit(descale(even + odd, 20));
        rows[r][1] = idct_limit(descale(even - odd, 20));
    }
}

/* Add up the DC differences and write each block's samples, 1 or 2x2, into its component's plane. */
static void write_planes(const ScanLayout *layout, const BlockStore *store, int64_t mcus_wide,
                         int64_t mcus_high, int64_t restart_interval, uint8_t **planes) {
    int previous[MAX_COMPONENTS] = {0, 0, 0, 0};
    int64_t mcu = 0;
    /* Where each block of an MCU starts in its plane, relative to the MCU's corner. */
    int64_t offset[MAX_BLOCKS_PER_MCU];
    int64_t below[MAX_BLOCKS_PER_MCU];
    for (int place = 0; place < layout->blocks_per_mcu; place++) {
        int component = layout->component[place];
        int size = layout->scaled_size[place];
        int64_t plane_width = mcus_wide * layout->mcu_width[component];
        below[place] = plane_width;
        offset[place] = layout->block_row[place] * size * plane_width + layout->block_column[place] * size;
    }
    const int16_t *difference = store->differences;
    const int16_t *kept = store->kept;
    for (int64_t mcu_row = 0; mcu_row < mcus_high; mcu_row++) {
        for (int64_t mcu_column = 0; mcu_column < mcus_wide; mcu_column++, mcu++) {
            /* Each restart interval starts its DC predictions from zero. */
            if (restart_interval && mcu % restart_interval == 0) memset(previous, 0, sizeof previous);
            for (int place = 0; place < layout->blocks_per_mcu; place++) {
                int component = layout->component[place];
                /* Unsigned, so that damaged data wraps around as libjpeg's int does in practice. */
                previous[component] = (int)((unsigned)previous[component] + (unsigned)*difference++);
                /* libjpeg keeps coefficients in 16 bits (JCOEF). */
                int dc = (int16_t)previous[component];
                const int32_t *quant = layout->quant[component];
                uint8_t *corner = planes[component] +
                                  mcu_row * layout->mcu_height[component] * below[place] +
                                  mcu_column * layout->mcu_width[component];
                uint8_t *sample = corner + offset[place];
                if (layout->scaled_size[place] == 2) {
                    inverse_dct_2x2(dc, kept, quant, sample, sample + below[place]);
                    kept += KEPT;
                } else {
                    *sample = idct_limit(descale((int64_t)dc * quant[0], 3));
                }
            }
        }
    }
}

/* Copy the scan that starts at data[start] without its stuffed zero bytes into `out`, which has
 * room for size - start bytes. With restart intervals, note where each one starts in `intervals`.
 * Their RST markers must come in order, one between each two intervals. Returns the copy's length,
 * or -1 when the scan is not followed by the end-of-image marker (a second scan, markers out of
 * place, or a file cut off). */
static Py_ssize_t unstuff_scan(const uint8_t *data, size_t size, size_t start, uint8_t *out,
                               RestartIntervals *intervals) {
    size_t in = start;
    size_t written = 0;
    int64_t found_intervals = 1;
    if (intervals) intervals->starts[0] = 0;
    while (in < size) {
        const uint8_t *found = memchr(data + in, 0xff, size - in);
        if (found == NULL) return -1;
        size_t at = (size_t)(found - data);
        memcpy(out + written, data + in, at - in);
        written += at - in;
        size_t next = at + 1;
        if (next < size && data[next] == 0) {
            out[written++] = 0xff;
            in = next + 1;
            continue;
        }
        while (next < size && data[next] == 0xff) next++;
        if (next >= size) return -1;
        int restart_number = (int)((found_intervals - 1) % 8);
        if (intervals && data[next] == 0xd0 + restart_number && found_intervals < intervals->count) {
            intervals->starts[found_intervals++] = written;
            in = next + 1;
            continue;
        }
        if (data[next] != 0xd9) return -1;
        if (intervals) {
            if (found_intervals != intervals->count) return -1;
            intervals->starts[found_intervals] = written;
        }
        return (Py_ssize_t)written;
    }
    return -1;
}

static int read_tables(PyObject *tables, HuffmanTable *dc, HuffmanTable *ac, int *defined) {
    if (PyTuple_GET_SIZE(tables) != 2 * MAX_TABLES) {
        PyErr_SetString(PyExc_ValueError, "tables must hold 4 DC and 4 AC entries");
        return -1;
    }
    for (int i = 0; i < 2 * MAX_TABLES; i++) {
        PyObject *entry = PyTuple_GET_ITEM(tables, i);
        defined[i] = 0;
        if (entry == Py_None) continue;
        const char *counts;
        const char *values;
        Py_ssize_t counts_size;
        Py_ssize_t values_size;
        if (!PyArg_ParseTuple(entry, "y#y#", &counts, &counts_size, &values, &values_size)) return -1;
        HuffmanTable *table = i < MAX_TABLES ? &dc[i] : &ac[i - MAX_TABLES];
        if (counts_size != 16 ||
            build_table(table, (const uint8_t *)counts, (const uint8_t *)values, values_size,
                        i >= MAX_TABLES) < 0) {
            PyErr_SetString(PyExc_ValueError, "invalid Huffman table");
            return -1;
        }
        defined[i] = 1;
    }
    return 0;
}

static int read_quant(PyObject *quant, ScanLayout *layout) {
    Py_ssize_t count = PyTuple_GET_SIZE(quant);
    if (count < 1 || count > MAX_COMPONENTS) {
        PyErr_SetString(PyExc_ValueError, "quant must hold one table per component");
        return -1;
    }
    for (Py_ssize_t c = 0; c < count; c++) {
        PyObject *table = PyTuple_GET_ITEM(quant, c);
        if (!PyTuple_Check(table) || PyTuple_GET_SIZE(table) != 64) {
            PyErr_SetString(PyExc_ValueError, "a quantization table must hold 64 values");
            return -1;
        }
        for (int i = 0; i < 64; i++) {
            long value = PyLong_AsLong(PyTuple_GET_ITEM(table, i));
            if (value == -1 && PyErr_Occurred()) return -1;
            if (value < 0 || value > 65535) {
                PyErr_SetString(PyExc_ValueError, "a quantization value must fit in 16 bits");
                return -1;
            }
            layout->quant[c][i] = (int32_t)value;
        }
    }
    layout->component_count = (int)count;
    return 0;
}

static int read_layout(PyObject *blocks, const HuffmanTable *dc, const HuffmanTable *ac,
                       const int *defined, ScanLayout *layout) {
    Py_ssize_t count = PyTuple_GET_SIZE(blocks);
    if (count < 1 || count > MAX_BLOCKS_PER_MCU) {
        PyErr_SetString(PyExc_ValueError, "an MCU must have 1 to 10 blocks");
        return -1;
    }
    layout->blocks_per_mcu = (int)count;
    layout->kept_per_mcu = 0;
    for (int c = 0; c < MAX_COMPONENTS; c++) layout->mcu_width[c] = layout->mcu_height[c] = 0;
    for (int i = 0; i < layout->blocks_per_mcu; i++) {
        int component;
        int dc_index;
        int ac_index;
        int size;
        int row;
        int column;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(blocks, i), "iiiiii", &component, &dc_index, &ac_index,
                              &size, &row, &column)) {
            return -1;
        }
        if (component < 0 || component >= layout->component_count || dc_index < 0 ||
            dc_index >= MAX_TABLES || ac_index < 0 || ac_index >= MAX_TABLES || !defined[dc_index] ||
            !defined[MAX_TABLES + ac_index] || (size != 1 && size != 2) || row < 0 || row > 3 ||
            column < 0 || column > 3) {
            PyErr_SetString(PyExc_ValueError, "a block names a missing component or table");
            return -1;
        }
        layout->component[i] = component;
        layout->dc[i] = &dc[dc_index];
        layout->ac[i] = &ac[ac_index];
        layout->scaled_size[i] = size;
        layout->block_row[i] = row;
        layout->block_column[i] = column;
        int bottom = (row + 1) * size;
        int right = (column + 1) * size;
        if (bottom > layout->mcu_height[component]) layout->mcu_height[component] = bottom;
        if (right > layout->mcu_width[component]) layout->mcu_width[component] = right;
        if (size == 2) layout->kept_per_mcu++;
    }
    for (int c = 0; c < layout->component_count; c++) {
        if (layout->mcu_width[c] == 0) {
            PyErr_SetString(PyExc_ValueError, "a component has no block in the scan");
            return -1;
        }
    }
    return 0;
}

PyDoc_STRVAR(eighth_scale_planes_doc,
"eighth_scale_planes(data, start, tables, quant, blocks, mcus_wide, mcus_high, restart_interval,\n"
"                    threads)\n"
"    -> (tuple[bytes, ...], bool)\n"
"\n"
"Return each component's samples at 1/8 scale, as a plane of mcus_wide x mcus_high MCUs, and\n"
"whether two threads shared the reading.\n"
"\n"
"data: the whole JPEG file; start: where its only scan's entropy-coded data begins.\n"
"tables: 4 DC then 4 AC Huffman tables, each (16 code counts, symbols) or None.\n"
"quant: one tuple of 64 quantization values in natural order per component.\n"
"blocks: per block of an MCU in coding order, (component, DC table, AC table, scaled size 1 or\n"
"2, row and column among the component's blocks in the MCU).\n"
"restart_interval: MCUs per restart interval (the DRI segment), or 0.\n"
"Raises ValueError when an argument is invalid or the scan does not decode.");

static PyObject *eighth_scale_planes(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer file;
    Py_ssize_t start;
    PyObject *tables;
    PyObject *quant;
    PyObject *blocks;
    Py_ssize_t mcus_wide;
    Py_ssize_t mcus_high;
    Py_ssize_t restart_interval;
    int threads;
    if (!PyArg_ParseTuple(args, "y*nO!O!O!nnni", &file, &start, &PyTuple_Type, &tables, &PyTuple_Type,
                          &quant, &PyTuple_Type, &blocks, &mcus_wide, &mcus_high, &restart_interval,
                          &threads)) {
        return NULL;
    }

    PyObject *planes = NULL;
    PyObject *result = NULL;
    uint8_t *scan = NULL;
    BlockStore store = {NULL, NULL, 0, 0};
    RestartIntervals intervals = {0, 0, NULL};
    HuffmanTable *dc = PyMem_Calloc(2 * MAX_TABLES, sizeof(HuffmanTable));
    ScanLayout *layout = PyMem_Calloc(1, sizeof(ScanLayout));
    uint8_t *plane_data[MAX_COMPONENTS] = {NULL, NULL, NULL, NULL};
    int defined[2 * MAX_TABLES];
    if (dc == NULL || layout == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    HuffmanTable *ac = dc + MAX_TABLES;
    if (read_quant(quant, layout) < 0 || read_tables(tables, dc, ac, defined) < 0 ||
        read_layout(blocks, dc, ac, defined, layout) < 0) {
        goto done;
    }
    /* 2^26 MCUs is over 4 gigapixels, far above any image this module is given. */
    if (start < 0 || start > file.len || mcus_wide < 1 || mcus_high < 1 ||
        mcus_wide > ((Py_ssize_t)1 << 13) || mcus_high > ((Py_ssize_t)1 << 13) || restart_interval < 0 ||
        restart_interval > 65535) {
        PyErr_SetString(PyExc_ValueError, "start, MCU counts or restart interval out of range");
        goto done;
    }
    int64_t mcu_count = (int64_t)mcus_wide * mcus_high;
    int64_t block_count = mcu_count * layout->blocks_per_mcu;
    int64_t kept_count = mcu_count * layout->kept_per_mcu;
    /* 2^25 blocks is 2 gigapixels of one component; load_photo stops at 120 megapixels. */
    if (block_count > ((int64_t)1 << 25)) {
        PyErr_SetString(PyExc_ValueError, "too many blocks for this module");
        goto done;
    }
    planes = PyTuple_New(layout->component_count);
    if (planes == NULL) goto done;
    for (int c = 0; c < layout->component_count; c++) {
        Py_ssize_t plane_size = (Py_ssize_t)(mcu_count * layout->mcu_width[c] * layout->mcu_height[c]);
        PyObject *plane = PyBytes_FromStringAndSize(NULL, plane_size);
        if (plane == NULL) goto done;
        PyTuple_SET_ITEM(planes, c, plane);
        plane_data[c] = (uint8_t *)PyBytes_AS_STRING(plane);
    }
    if (restart_interval > 0) {
        intervals.interval = restart_interval;
        intervals.count = (mcu_count + restart_interval - 1) / restart_interval;
        intervals.starts = PyMem_Malloc((size_t)(intervals.count + 1) * sizeof(size_t));
        if (intervals.starts == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    scan = PyMem_Malloc((size_t)(file.len - start) + 1);
    if (scan == NULL || allocate_store(&store, block_count, kept_count) < 0) {
        PyErr_NoMemory();
        goto done;
    }

    Py_ssize_t scan_size;
    int status = -1;
    int split = 0;
    Py_BEGIN_ALLOW_THREADS
    RestartIntervals *restarts = restart_interval > 0 ? &intervals : NULL;
    scan_size = unstuff_scan(file.buf, (size_t)file.len, (size_t)start, scan, restarts);
    if (scan_size >= 0 && restarts) {
        status = decode_scan_intervals(layout, scan, restarts, mcu_count, threads, &store, &split);
    } else if (scan_size >= 0) {
        status = decode_scan(layout, scan, (size_t)scan_size, block_count, threads, &store, &split);
    }
    if (status == 0) write_planes(layout, &store, mcus_wide, mcus_high, restart_interval, plane_data);
    Py_END_ALLOW_THREADS
    if (scan_size < 0) {
        PyErr_SetString(PyExc_ValueError, "the scan is not followed by the end-of-image marker");
        goto done;
    }
    if (status < 0) {
        PyErr_SetString(PyExc_ValueError, "the scan does not decode");
        goto done;
    }
    result = Py_BuildValue("(OO)", planes, split ? Py_True : Py_False);

done:
    Py_XDECREF(planes);
    free_store(&store);
    PyMem_Free(intervals.starts);
    PyMem_Free(scan);
    PyMem_Free(layout);
    PyMem_Free(dc);
    PyBuffer_Release(&file);
    return result;
}

/* libjpeg's YCbCr to RGB tables (build_ycc_rgb_table in jdcolor.c), 16-bit fixed point. */
static int red_from_cr[256];
static int blue_from_cb[256];
static int32_t green_from_cr[256];
static int32_t green_from_cb[256];

static void build_colour_tables(void) {
    for (int i = 0; i < 256; i++) {
        int32_t x = i - 128;
        red_from_cr[i] = (int)((91881 * x + 32768) >> 16);
        blue_from_cb[i] = (int)((116130 * x + 32768) >> 16);
        green_from_cr[i] = -46802 * x;
        green_from_cb[i] = -22554 * x + 32768;
    }
}

static inline uint8_t clamp_sample(int value) {
    if (value < 0) return 0;
    if (value > 255) return 255;
    return (uint8_t)value;
}

PyDoc_STRVAR(ycbcr_to_rgb_doc,
"ycbcr_to_rgb(luma, blue, red) -> bytes\n"
"\n"
"Convert three planes of equal size to interleaved RGB with libjpeg's integer arithmetic.");

static PyObject *ycbcr_to_rgb(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer luma;
    Py_buffer blue;
    Py_buffer red;
    if (!PyArg_ParseTuple(args, "y*y*y*", &luma, &blue, &red)) return NULL;
    PyObject *result = NULL;
    if (blue.len != luma.len || red.len != luma.len) {
        PyErr_SetString(PyExc_ValueError, "the three planes must have the same size");
    } else if ((result = PyBytes_FromStringAndSize(NULL, luma.len * 3)) != NULL) {
        const uint8_t *y = luma.buf;
        const uint8_t *cb = blue.buf;
        const uint8_t *cr = red.buf;
        uint8_t *rgb = (uint8_t *)PyBytes_AS_STRING(result);
        for (Py_ssize_t i = 0; i < luma.len; i++) {
            rgb[3 * i] = clamp_sample(y[i] + red_from_cr[cr[i]]);
            rgb[3 * i + 1] = clamp_sample(y[i] + ((green_from_cb[cb[i]] + green_from_cr[cr[i]]) >> 16));
            rgb[3 * i + 2] = clamp_sample(y[i] + blue_from_cb[cb[i]]);
        }
    }
    PyBuffer_Release(&luma);
    PyBuffer_Release(&blue);
    PyBuffer_Release(&red);
    return result;
}

static PyMethodDef methods[] = {
    {"eighth_scale_planes", eighth_scale_planes, METH_VARARGS, eighth_scale_planes_doc},
    {"ycbcr_to_rgb", ycbcr_to_rgb, METH_VARARGS, ycbcr_to_rgb_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "classifier._jpeg_scan",
    .m_doc = "1/8-scale samples of baseline JPEG scans, read on two threads.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__jpeg_scan(void) {
    build_colour_tables();
    return PyModule_Create(&module);
}
