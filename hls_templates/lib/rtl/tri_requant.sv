// Tritium RTL library: requantizer, y = clamp((x*M + B) >>> SH, LO, HI) (DESIGN §2).
// Combinational, exact width: the product and sum are formed at PW bits, wide
// enough for every operand, so nothing wraps. M and B are inputs so that one
// instance serves a per-channel table; they are constants in most uses.
`default_nettype none
module tri_requant #(
    parameter int IW = 16,            // x width (signed)
    parameter int MW = 16,            // M width (signed)
    parameter int BW = 32,            // B width (signed)
    parameter int SH = 0,             // arithmetic right shift, 0..31
    parameter int O = 8,              // output width
    parameter longint LO = 0,         // clamp bounds (fit O bits)
    parameter longint HI = 255
) (
    input  wire logic signed [IW-1:0] x,
    input  wire logic signed [MW-1:0] m,
    input  wire logic signed [BW-1:0] b,
    output logic [O-1:0]              y
);
    localparam int PW = ((IW + MW > BW) ? IW + MW : BW) + 1;
    logic signed [PW-1:0] prod, sum, shifted;
    always_comb begin
        prod = PW'(x) * PW'(m);
        sum = prod + PW'(b);
        shifted = sum >>> SH;
        if (shifted < PW'(LO)) y = O'(LO);
        else if (shifted > PW'(HI)) y = O'(HI);
        else y = O'(shifted);
    end
endmodule
`default_nettype wire
