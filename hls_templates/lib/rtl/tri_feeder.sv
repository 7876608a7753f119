// Tritium RTL library: the feeder of a Conv/Dense engine. It writes each input
// vector (NSLICE slices of SW bits) into the PEs' input buffers (tri_pe.sv) and
// offers it to the NP PEs until each has taken it.
//
// Every PE keeps its own copy of the last two vectors (slots) in K banks of L
// rows (docs/architecture.md, "PE input buffers"): slice j lives in bank j % K,
// row j / K. The feeder writes one row of every bank per cycle, the same data
// to every PE, so a vector takes L cycles to write; the engine description
// chooses K = ceil(NSLICE / cycles per pixel), so L never exceeds the cycles
// the slowest PE spends on a pixel and the PEs are never starved.
//
// A vector goes into the slot no PE reads any more: the writing starts in the
// cycle the last PE takes the previously offered vector (that PE still reads
// the older slot in that cycle, and a write lands only at the clock edge), and
// the input is taken (s_ready) in the last write cycle. With L = 1 a vector is
// written and taken in one cycle.
`default_nettype none
module tri_feeder #(
    parameter int NP = 1,
    parameter int SW = 8,          // bits of one slice (S lanes x A bits)
    parameter int NSLICE = 1,
    parameter int K = 1,           // banks
    parameter int L = 1,           // rows of a bank a vector fills
    parameter int LB = 1           // row index bits
) (
    input  wire logic                 clk,
    input  wire logic                 rst_n,
    input  wire logic                 s_valid,
    output logic                      s_ready,
    input  wire logic [NSLICE*SW-1:0] s_data,
    output logic [NP-1:0]             pe_valid,
    input  wire logic [NP-1:0]        pe_take,
    output logic                      pe_slot,    // the slot of the vector offered
    output logic                      buf_we,
    output logic                      buf_slot,   // the slot written
    output logic [LB-1:0]             buf_row,
    output logic [K*SW-1:0]           buf_data    // bank b at bits [b*SW +: SW]
);
    logic valid;                    // slot ~wr holds a vector some PE has not taken
    logic [NP-1:0] taken;
    logic wr;                       // the slot being written
    logic [LB-1:0] row;
    wire logic free = !valid || &(taken | pe_take);   // no PE will read slot wr again
    wire logic last = row == LB'(L - 1);
    assign buf_we = free && s_valid;
    assign s_ready = buf_we && last;
    assign buf_slot = wr;
    assign buf_row = row;
    assign pe_valid = {NP{valid}} & ~taken;
    assign pe_slot = ~wr;

    // Bank b's row-select: an L:1 multiplexer over the slices b, b + K, b + 2K, ...
    for (genvar b = 0; b < K; b++) begin : g_bank
        logic [SW-1:0] col [1 << LB];
        for (genvar r = 0; r < (1 << LB); r++) begin : g_row
            if (r < L && r * K + b < NSLICE) begin : g_slice
                assign col[r] = s_data[(r * K + b) * SW +: SW];
            end else begin : g_none
                assign col[r] = '0;
            end
        end
        assign buf_data[b * SW +: SW] = col[row];
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            valid <= 1'b0;
            taken <= '0;
            wr <= 1'b0;
            row <= '0;
        end else if (free) begin
            valid <= s_ready;
            taken <= '0;
            if (buf_we) row <= last ? '0 : row + 1'b1;
            if (s_ready) wr <= ~wr;
        end else begin
            taken <= taken | pe_take;
        end
    end
endmodule
`default_nettype wire
