// Tritium RTL library: AXI4-Stream master adapter. Serializes each pixel (C
// values of O bits) into C beats, value sign- or zero-extended to TW bits;
// TLAST on the last value of a frame (NPIX pixels).
`default_nettype none
module tri_axis_out #(
    parameter int C = 1,
    parameter int O = 8,
    parameter bit SIGNED = 1'b1,
    parameter int TW = 8,
    parameter int NPIX = 1
) (
    input  wire logic           clk,
    input  wire logic           rst_n,
    input  wire logic           s_valid,
    output logic                s_ready,
    input  wire logic [C*O-1:0] s_data,
    output logic [TW-1:0]       tdata,
    output logic                tvalid,
    input  wire logic           tready,
    output logic                tlast
);
    localparam int CWID = C > 1 ? $clog2(C) : 1;
    localparam int NWID = NPIX > 1 ? $clog2(NPIX) : 1;
    logic [CWID-1:0] c;
    logic [NWID-1:0] p;
    logic [O-1:0] v;
    assign v = s_data[c * O +: O];
    assign tvalid = s_valid;
    assign tdata = SIGNED ? TW'($signed(v)) : TW'(v);
    assign tlast = c == CWID'(C - 1) && p == NWID'(NPIX - 1);
    assign s_ready = tready && c == CWID'(C - 1);
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            c <= '0;
            p <= '0;
        end else if (tvalid && tready) begin
            if (c == CWID'(C - 1)) begin
                c <= '0;
                p <= p == NWID'(NPIX - 1) ? '0 : p + 1'b1;
            end else begin
                c <= c + 1'b1;
            end
        end
    end
endmodule
`default_nettype wire
