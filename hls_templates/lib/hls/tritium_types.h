// Tritium HLS library: types.
//
// Under Vitis HLS (synthesis, or C-simulation with the vendor headers on the
// include path) this header uses the vendor's ap_int.h, hls_stream.h and
// ap_axi_sdata.h. Under plain g++ (C++17) it provides the small subset of them
// the library uses, written here, so that the generated code builds with no
// vendor header at all (DESIGN §5, level L2). Define TRITIUM_COMPAT to force
// the self-written subset, TRITIUM_VENDOR_TYPES to require the vendor's
// (`tritium simulate --level csim` defines one or the other, so what a build
// used never depends on what happens to be on the include path).
//
// The subset: ap_int<N>/ap_uint<N> (N <= 64) wrap to N bits like ap_int
// (every value read is the wrapped one; see ap_narrow) and convert to
// `long long` for arithmetic, which is exact for every width the compiler
// emits (activations <= 32 bits, accumulators <= 62 bits, requant products
// < 2^62, DESIGN §2). ap_uint<N>
// with N > 64 is a bit container (`range(hi, lo)` get and set, spans <= 64
// bits) for the AXI4-Stream data words. hls::stream is a std::deque.
#ifndef TRITIUM_TYPES_H
#define TRITIUM_TYPES_H

#if defined(TRITIUM_COMPAT) && defined(TRITIUM_VENDOR_TYPES)
#error "define TRITIUM_COMPAT (Tritium's stand-in types) or TRITIUM_VENDOR_TYPES (AMD's headers), not both"
#endif

#if !defined(TRITIUM_COMPAT) && (defined(__SYNTHESIS__) || defined(TRITIUM_VENDOR_TYPES) || \
    (__has_include(<ap_int.h>) && __has_include(<hls_stream.h>) && __has_include(<ap_axi_sdata.h>)))
#define TRITIUM_VENDOR 1
#if !defined(__SYNTHESIS__) && defined(__GNUC__)
// The C-simulation model of ap_int reads a value before it is set (ap_private's
// default constructor clears its unused bits), which GCC's -Wuninitialized
// reports at the inlined call even from a system header. Silenced for the
// vendor's lines only: the diagnostic state is per source location, so our
// own code keeps every warning.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <ap_axi_sdata.h>
#include <ap_int.h>
#include <hls_stream.h>
#if !defined(__SYNTHESIS__) && defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace tritium {
// One AXI4-Stream beat with TDATA and TLAST only (no TKEEP/TSTRB/TUSER/TID/TDEST),
// in the form UG1399 documents: with strict enablement every carried signal,
// TDATA included, is named, and each named one must have a width.
template <int W>
using axis_word = hls::axis<ap_uint<W>, 0, 0, 0, AXIS_ENABLE_DATA | AXIS_ENABLE_LAST, true>;
}  // namespace tritium

#else
#define TRITIUM_VENDOR 0
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <type_traits>
#include <utility>

namespace tritium_compat {

template <int N, bool S>
class ap_narrow;

// A reference to bits [hi, lo] of a word (span <= 64 bits).
template <class Owner>
class range_ref {
   public:
    range_ref(Owner& o, int hi, int lo) : o_(o), hi_(hi), lo_(lo) {}
    operator long long() const { return static_cast<long long>(o_.get_bits(hi_, lo_)); }
    unsigned long long to_uint64() const { return o_.get_bits(hi_, lo_); }
    range_ref& operator=(long long v) {
        o_.set_bits(hi_, lo_, static_cast<unsigned long long>(v));
        return *this;
    }
    range_ref& operator=(const range_ref& r) { return *this = static_cast<long long>(r); }

   private:
    Owner& o_;
    int hi_, lo_;
};

inline constexpr unsigned long long low_mask(int n) {
    return n >= 64 ? ~0ULL : ((1ULL << n) - 1ULL);
}

// The smallest unsigned native type of at least N bits.
template <int N>
struct raw_of {
    using type = typename std::conditional<
        (N <= 8), uint8_t,
        typename std::conditional<(N <= 16), uint16_t,
                                  typename std::conditional<(N <= 32), uint32_t, uint64_t>::type>::type>::type;
};

// N <= 64 bits, signed (S) or unsigned, with ap_int's wrap-around semantics.
//
// The value is the low N bits of `r_` (two's complement if S), so wrapping
// happens when the value is read: `r_` is a residue modulo 2^B (B >= N, the
// native storage width), and +, -, << and bit updates are exact modulo 2^B,
// hence modulo 2^N. Every read (`operator long long`, `>>=`, `get_bits`)
// takes the low N bits and extends them, so every observable value is exactly
// the wrapped one ap_int holds; only the moment of wrapping differs. This
// keeps an accumulation (`acc += x` per lane) a plain native add that g++ can
// vectorize.
template <int N, bool S>
class ap_narrow {
    static_assert(N >= 1 && N <= 64, "ap_int/ap_uint width must be 1..64 here");
    using raw_t = typename raw_of<N>::type;
    // Extension happens in 32-bit arithmetic when the width allows (cheaper, vectorizable).
    using ext_u = typename std::conditional<(N <= 32), uint32_t, uint64_t>::type;
    using ext_s = typename std::conditional<(N <= 32), int32_t, int64_t>::type;
    static constexpr int EXT = N <= 32 ? 32 : 64;

    static constexpr raw_t raw(long long x) { return static_cast<raw_t>(static_cast<unsigned long long>(x)); }

   public:
    // The N-bit value held by residue r.
    static constexpr long long value_of(raw_t r) {
        return S ? static_cast<long long>(static_cast<ext_s>(static_cast<ext_u>(static_cast<ext_u>(r) << (EXT - N))) >>
                                          (EXT - N))
                 : static_cast<long long>(static_cast<ext_u>(r) & static_cast<ext_u>(low_mask(N)));
    }

    constexpr ap_narrow() : r_(0) {}
    template <class T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
    constexpr ap_narrow(T x) : r_(raw(static_cast<long long>(x))) {}
    template <int M, bool S2>
    constexpr ap_narrow(const ap_narrow<M, S2>& o) : r_(raw(static_cast<long long>(o))) {}
    template <class O>
    ap_narrow(const range_ref<O>& r) : r_(raw(static_cast<long long>(r))) {}

    constexpr operator long long() const { return value_of(r_); }

    // The stored residue: its low N bits are the value's (two's complement) bits.
    constexpr raw_t residue() const { return r_; }

    ap_narrow& operator+=(long long x) { r_ = static_cast<raw_t>(r_ + raw(x)); return *this; }
    ap_narrow& operator-=(long long x) { r_ = static_cast<raw_t>(r_ - raw(x)); return *this; }
    // An operand at least N bits wide contributes its residue as it is (same value modulo 2^N).
    template <int M, bool S2, typename std::enable_if<(M >= N), int>::type = 0>
    ap_narrow& operator+=(const ap_narrow<M, S2>& o) {
        r_ = static_cast<raw_t>(r_ + static_cast<raw_t>(o.residue()));
        return *this;
    }
    template <int M, bool S2, typename std::enable_if<(M >= N), int>::type = 0>
    ap_narrow& operator-=(const ap_narrow<M, S2>& o) {
        r_ = static_cast<raw_t>(r_ - static_cast<raw_t>(o.residue()));
        return *this;
    }
    ap_narrow& operator>>=(int s) {  // arithmetic for ap_int, logical for ap_uint (also at 64 bits)
        r_ = S ? raw(value_of(r_) >> s) : raw(static_cast<long long>(static_cast<unsigned long long>(value_of(r_)) >> s));
        return *this;
    }
    ap_narrow& operator<<=(int s) {
        r_ = s >= 64 ? raw_t(0) : raw(static_cast<long long>(static_cast<unsigned long long>(r_) << s));
        return *this;
    }
    ap_narrow& operator++() { return *this += 1; }

    unsigned long long get_bits(int hi, int lo) const {
        return (static_cast<unsigned long long>(value_of(r_)) >> lo) & low_mask(hi - lo + 1);
    }
    void set_bits(int hi, int lo, unsigned long long x) {
        unsigned long long m = low_mask(hi - lo + 1) << lo;
        unsigned long long u = static_cast<unsigned long long>(value_of(r_));
        r_ = raw(static_cast<long long>((u & ~m) | ((x << lo) & m)));
    }
    range_ref<ap_narrow> range(int hi, int lo) { return range_ref<ap_narrow>(*this, hi, lo); }
    unsigned long long range(int hi, int lo) const { return get_bits(hi, lo); }

   private:
    raw_t r_;
};

// Unsigned N > 64 bits: a bit container for AXI4-Stream words.
template <int N>
class ap_wide {
    static constexpr int WORDS = (N + 63) / 64;

   public:
    ap_wide() : w_() {}
    template <class T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
    ap_wide(T x) : w_() { w_[0] = static_cast<unsigned long long>(x); }

    unsigned long long get_bits(int hi, int lo) const {
        unsigned long long out = 0;
        for (int b = lo; b <= hi; ++b) out |= ((w_[b / 64] >> (b % 64)) & 1ULL) << (b - lo);
        return out;
    }
    void set_bits(int hi, int lo, unsigned long long x) {
        for (int b = lo; b <= hi; ++b) {
            unsigned long long bit = (x >> (b - lo)) & 1ULL;
            w_[b / 64] = (w_[b / 64] & ~(1ULL << (b % 64))) | (bit << (b % 64));
        }
    }
    range_ref<ap_wide> range(int hi, int lo) { return range_ref<ap_wide>(*this, hi, lo); }
    unsigned long long range(int hi, int lo) const { return get_bits(hi, lo); }

   private:
    unsigned long long w_[WORDS];
};

template <int N, bool S, bool WIDE = (N > 64)>
struct pick {
    using type = ap_narrow<N, S>;
};
template <int N>
struct pick<N, false, true> {
    using type = ap_wide<N>;
};

}  // namespace tritium_compat

template <int N>
using ap_int = tritium_compat::ap_narrow<N, true>;
template <int N>
using ap_uint = typename tritium_compat::pick<N, false>::type;

namespace hls {

// A FIFO of unbounded depth: engines run one after another in C-simulation.
template <class T>
class stream {
   public:
    stream() : name_("stream") {}
    explicit stream(const char* name) : name_(name) {}
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    void write(const T& v) { q_.push_back(v); }
    T read() {
        if (q_.empty()) {
            std::fprintf(stderr, "tritium: read from empty stream '%s' (dataflow deadlock)\n", name_.c_str());
            std::abort();
        }
        T v = q_.front();
        q_.pop_front();
        return v;
    }
    void read(T& v) { v = read(); }
    bool empty() const { return q_.empty(); }
    std::size_t size() const { return q_.size(); }

   private:
    std::string name_;
    std::deque<T> q_;
};

}  // namespace hls

namespace tritium {
// One AXI4-Stream beat with TDATA and TLAST only.
template <int W>
struct axis_word {
    ap_uint<W> data;
    ap_uint<1> last;
};
}  // namespace tritium

#endif  // vendor or compat

// HLS pragmas of the library, as _Pragma so that plain g++ with -Wall -Werror
// (which rejects unknown pragmas) never sees them.
#if defined(__SYNTHESIS__)
#define TRITIUM_HLS(text) _Pragma(text)
#else
#define TRITIUM_HLS(text)
#endif

namespace tritium {

// One pixel (all its channels) or one vector: the unit every FIFO carries.
template <class T, int N>
struct pixel {
    T d[N];
};

}  // namespace tritium

#endif  // TRITIUM_TYPES_H
