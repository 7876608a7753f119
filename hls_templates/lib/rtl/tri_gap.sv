// Tritium RTL library: global average pool. Sums each channel over the NPIX
// pixels of a frame (SUMW bits, exact) and emits one requantized pixel per frame.
`default_nettype none
module tri_gap #(
    parameter int C = 1,
    parameter int A = 8,
    parameter bit IN_SIGNED = 1'b1,
    parameter int NPIX = 4,
    parameter int SUMW = 12,
    parameter int O = 8,
    parameter int MW = 16,
    parameter int BW = 32,
    parameter int SH = 0,
    parameter longint LO = 0,
    parameter longint HI = 255,
    parameter logic [C*MW-1:0] CH_M = '0,
    parameter logic [C*BW-1:0] CH_B = '0
) (
    input  wire logic           clk,
    input  wire logic           rst_n,
    input  wire logic           s_valid,
    output logic                s_ready,
    input  wire logic [C*A-1:0] s_data,
    output logic                m_valid,
    input  wire logic           m_ready,
    output logic [C*O-1:0]      m_data
);
    localparam int NW = NPIX > 1 ? $clog2(NPIX) : 1;
    logic [NW-1:0] n;
    logic signed [SUMW-1:0] acc [C];
    logic signed [SUMW-1:0] tot [C];
    logic [C*O-1:0] y;

    assign s_ready = !m_valid || m_ready;
    generate
        for (genvar c = 0; c < C; c++) begin : g_ch
            logic signed [A:0] v;
            assign v = IN_SIGNED ? {s_data[c * A + A - 1], s_data[c * A +: A]}
                                 : {1'b0, s_data[c * A +: A]};
            assign tot[c] = (n == '0 ? '0 : acc[c]) + SUMW'(v);
            tri_requant #(.IW(SUMW), .MW(MW), .BW(BW), .SH(SH), .O(O), .LO(LO), .HI(HI)) u_rq (
                .x(tot[c]), .m(CH_M[c * MW +: MW]), .b(CH_B[c * BW +: BW]), .y(y[c * O +: O]));
        end
    endgenerate

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            n <= '0;
            m_valid <= 1'b0;
        end else begin
            if (m_valid && m_ready) m_valid <= 1'b0;
            if (s_valid && s_ready) begin
                for (int c = 0; c < C; c++) acc[c] <= tot[c];
                if (n == NW'(NPIX - 1)) begin
                    n <= '0;
                    m_valid <= 1'b1;
                    m_data <= y;
                end else begin
                    n <= n + 1'b1;
                end
            end
        end
    end
endmodule
`default_nettype wire
