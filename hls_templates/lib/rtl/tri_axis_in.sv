// Tritium RTL library: AXI4-Stream slave adapter. One beat = one input pixel,
// channel c at TDATA[c*A +: A]; the byte padding above C*A bits is ignored, and
// so is TLAST (frames are counted by position; docs/architecture.md ports).
`default_nettype none
module tri_axis_in #(
    parameter int TW = 8,     // TDATA width (a byte multiple)
    parameter int PW = 8      // pixel width C*A
) (
    input  wire logic [TW-1:0] tdata,
    input  wire logic          tvalid,
    output logic               tready,
    input  wire logic          tlast,
    output logic               m_valid,
    input  wire logic          m_ready,
    output logic [PW-1:0]      m_data
);
    assign m_valid = tvalid;
    assign tready = m_ready;
    assign m_data = tdata[PW-1:0];
    // verilator lint_off UNUSEDSIGNAL
    wire logic unused = tlast ^ (^tdata);
    // verilator lint_on UNUSEDSIGNAL
endmodule
`default_nettype wire
