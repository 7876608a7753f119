// Tritium RTL library: residual add of two pixel streams (join), per channel
// y = clamp((a*MA + b*MB + B) >>> SH, LO, HI) at exact width (DESIGN §2).
// Combinational datapath; a beat leaves when both inputs are valid.
`default_nettype none
module tri_add #(
    parameter int C = 1,
    parameter int AA = 8,
    parameter bit A_SIGNED = 1'b1,
    parameter int AB = 8,
    parameter bit B_SIGNED = 1'b1,
    parameter int O = 8,
    parameter longint MA = 1,
    parameter longint MB = 1,
    parameter longint B = 0,
    parameter int SH = 0,
    parameter longint LO = 0,
    parameter longint HI = 255
) (
    input  wire logic            a_valid,
    output logic                 a_ready,
    input  wire logic [C*AA-1:0] a_data,
    input  wire logic            b_valid,
    output logic                 b_ready,
    input  wire logic [C*AB-1:0] b_data,
    output logic                 m_valid,
    input  wire logic            m_ready,
    output logic [C*O-1:0]       m_data
);
    // |a*MA| + |b*MB| + |B| < 2^(max(AA,AB)+1+16+1) + 2^63: 66 bits hold every sum.
    localparam int PW = 66;
    assign m_valid = a_valid && b_valid;
    assign a_ready = m_ready && b_valid;
    assign b_ready = m_ready && a_valid;
    generate
        for (genvar c = 0; c < C; c++) begin : g_ch
            logic signed [PW-1:0] va, vb, s, sh;
            always_comb begin
                va = A_SIGNED ? PW'($signed(a_data[c * AA +: AA])) : PW'(a_data[c * AA +: AA]);
                vb = B_SIGNED ? PW'($signed(b_data[c * AB +: AB])) : PW'(b_data[c * AB +: AB]);
                s = va * PW'(MA) + vb * PW'(MB) + PW'(B);
                sh = s >>> SH;
                if (sh < PW'(LO)) m_data[c * O +: O] = O'(LO);
                else if (sh > PW'(HI)) m_data[c * O +: O] = O'(HI);
                else m_data[c * O +: O] = O'(sh);
            end
        end
    endgenerate
endmodule
`default_nettype wire
