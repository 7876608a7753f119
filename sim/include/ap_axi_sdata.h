// ap_axi_sdata.h: Tritium's model of AMD's AXI4-Stream side-channel type, for
// C-simulation against the vendor's ap_int.h (tritium.sim.hls_headers).
//
// Written from the interface UG1399 documents ("Customizing AXI4-Stream
// Interfaces", "How AXI4-Stream is Implemented"), not from AMD's header, which
// is not open source: Xilinx's HLS_arbitrary_Precision_Types (ap_int.h,
// hls_stream.h) does not include it. A Vitis installation brings its own; a
// folder given to `tritium simulate --hls-include` that holds one uses that one.
//
//   template <typename T, size_t WUser = 0, size_t WId = 0, size_t WDest = 0,
//             uint8_t EnableSignals = AXIS_ENABLE_KEEP | AXIS_ENABLE_LAST | AXIS_ENABLE_STRB,
//             bool StrictEnablement = false>
//   struct hls::axis;    // members data, keep, strb, user, id, dest, last
//
// Which members exist:
// - StrictEnablement = false: TDATA always; TKEEP, TSTRB and TLAST as their
//   AXIS_ENABLE_* bit says; TUSER, TID and TDEST when their width is nonzero.
// - StrictEnablement = true: exactly the signals whose bit is set, and every
//   bit must agree with the signal's width, checked by static assertions:
//   DATA must be enabled (T has a width), USER/ID/DEST are enabled if and only
//   if WUser/WId/WDest are nonzero. KEEP and STRB (one bit per TDATA byte) and
//   LAST (one bit) take their width from the bit, so they always agree.
//
// A member that does not exist has the empty type hls::axis_absent, so code
// that reads or writes a disabled signal does not compile here. That is
// stricter than a header that keeps every member: code that builds against
// this model builds against both. The documented get_*/set_* accessors are
// not modelled (Tritium's code uses the members).
#ifndef TRITIUM_MODEL_AP_AXI_SDATA_H
#define TRITIUM_MODEL_AP_AXI_SDATA_H

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ap_int.h"

// The enablement bits (UG1399, "Customizing AXI4-Stream Interfaces").
#define AXIS_ENABLE_DATA 0x01
#define AXIS_ENABLE_DEST 0x02
#define AXIS_ENABLE_ID 0x04
#define AXIS_ENABLE_KEEP 0x08
#define AXIS_ENABLE_LAST 0x10
#define AXIS_ENABLE_STRB 0x20
#define AXIS_ENABLE_USER 0x40
// Every bit but the TDATA lane's (DATA, KEEP, STRB): a stream that moves its data on TUSER.
#define AXIS_DISABLE_DATA (0xFF & ~(AXIS_ENABLE_DATA | AXIS_ENABLE_KEEP | AXIS_ENABLE_STRB))
#define AXIS_ENABLE_ALL 0x7F
#define AXIS_DISABLE_ALL 0x00

namespace hls {

// The type of a member whose signal the stream does not carry.
struct axis_absent {};

namespace axis_detail {

// Bits of a TDATA type: the width of ap_int/ap_uint, else the object size.
template <typename T>
struct bits_of {
    static constexpr std::size_t value = 8 * sizeof(T);
};
template <int W>
struct bits_of<ap_int<W> > {
    static constexpr std::size_t value = W;
};
template <int W>
struct bits_of<ap_uint<W> > {
    static constexpr std::size_t value = W;
};

template <bool PRESENT, std::size_t W>
struct field {
    typedef ap_uint<W> type;
};
template <std::size_t W>
struct field<false, W> {
    typedef axis_absent type;
};

constexpr bool on(uint8_t signals, uint8_t bit) { return (signals & bit) != 0; }

}  // namespace axis_detail

template <typename T, std::size_t WUser = 0, std::size_t WId = 0, std::size_t WDest = 0,
          uint8_t EnableSignals = (AXIS_ENABLE_KEEP | AXIS_ENABLE_LAST | AXIS_ENABLE_STRB),
          bool StrictEnablement = false>
struct axis {
    static constexpr std::size_t data_bits = axis_detail::bits_of<T>::value;
    static constexpr std::size_t data_bytes = (data_bits + 7) / 8;

    static_assert(!StrictEnablement || axis_detail::on(EnableSignals, AXIS_ENABLE_DATA) == (data_bits > 0),
                  "hls::axis: found mismatched enablement for DATA signal: with StrictEnablement, "
                  "TDATA has a width, so EnableSignals must include AXIS_ENABLE_DATA");
    static_assert(!StrictEnablement || axis_detail::on(EnableSignals, AXIS_ENABLE_USER) == (WUser > 0),
                  "hls::axis: found mismatched enablement for USER signal: with StrictEnablement, "
                  "AXIS_ENABLE_USER must be set exactly when WUser > 0");
    static_assert(!StrictEnablement || axis_detail::on(EnableSignals, AXIS_ENABLE_ID) == (WId > 0),
                  "hls::axis: found mismatched enablement for ID signal: with StrictEnablement, "
                  "AXIS_ENABLE_ID must be set exactly when WId > 0");
    static_assert(!StrictEnablement || axis_detail::on(EnableSignals, AXIS_ENABLE_DEST) == (WDest > 0),
                  "hls::axis: found mismatched enablement for DEST signal: with StrictEnablement, "
                  "AXIS_ENABLE_DEST must be set exactly when WDest > 0");

    static constexpr bool has_data = !StrictEnablement || axis_detail::on(EnableSignals, AXIS_ENABLE_DATA);
    static constexpr bool has_keep = axis_detail::on(EnableSignals, AXIS_ENABLE_KEEP);
    static constexpr bool has_strb = axis_detail::on(EnableSignals, AXIS_ENABLE_STRB);
    static constexpr bool has_last = axis_detail::on(EnableSignals, AXIS_ENABLE_LAST);
    static constexpr bool has_user = StrictEnablement ? axis_detail::on(EnableSignals, AXIS_ENABLE_USER) : WUser > 0;
    static constexpr bool has_id = StrictEnablement ? axis_detail::on(EnableSignals, AXIS_ENABLE_ID) : WId > 0;
    static constexpr bool has_dest = StrictEnablement ? axis_detail::on(EnableSignals, AXIS_ENABLE_DEST) : WDest > 0;

    typename std::conditional<has_data, T, axis_absent>::type data;
    typename axis_detail::field<has_keep, data_bytes>::type keep;
    typename axis_detail::field<has_strb, data_bytes>::type strb;
    typename axis_detail::field<has_user, WUser>::type user;
    typename axis_detail::field<has_id, WId>::type id;
    typename axis_detail::field<has_dest, WDest>::type dest;
    typename axis_detail::field<has_last, 1>::type last;
};

}  // namespace hls

// The integer shorthands UG1399 documents: signed and unsigned TDATA of WData bits.
template <int WData, std::size_t WUser = 0, std::size_t WId = 0, std::size_t WDest = 0>
using ap_axis = hls::axis<ap_int<WData>, WUser, WId, WDest>;
template <int WData, std::size_t WUser = 0, std::size_t WId = 0, std::size_t WDest = 0>
using ap_axiu = hls::axis<ap_uint<WData>, WUser, WId, WDest>;

#endif  // TRITIUM_MODEL_AP_AXI_SDATA_H
