// Tritium RTL library: output collector of a Conv/Dense engine. NB banks of one
// output pixel each (M channels); PEs write their rows' results into the bank of
// their pixel and mark it done; a bank leaves, channels in order, once every PE
// is done with it.
//
// Each output channel belongs to one PE (the schedule's row assignment, OWNER),
// so every channel register has a single writer: its enable decodes that PE's
// channel and bank, its data is that PE's result. No write multiplexer spans the
// PEs, and no register is reset: a PE writes every channel it owns for every
// pixel before it marks the bank done, so a bank is whole before it can leave.
// A channel no PE writes (WRITTEN[c] = 0: a row without items) is the constant
// INIT (requant(0)) and has no register at all.
`default_nettype none
module tri_collector #(
    parameter int NP = 1,
    parameter int M = 1,
    parameter int O = 8,
    parameter int CW = 1,
    parameter int NB = 4,
    parameter int BKW = 2,
    parameter int PIW = 1,                    // PE index bits
    parameter logic [M*PIW-1:0] OWNER = '0,   // channel c is written by PE OWNER[c]
    parameter logic [M-1:0] WRITTEN = '1,     // channel c has a writer
    parameter logic [M*O-1:0] INIT = '0       // the value of a channel without one
) (
    input  wire logic              clk,
    input  wire logic              rst_n,
    input  wire logic [NP-1:0]     res_valid,
    input  wire logic [NP*CW-1:0]  res_ch,
    input  wire logic [NP*O-1:0]   res_data,
    input  wire logic [NP*BKW-1:0] res_bank,
    input  wire logic [NP-1:0]     res_end,
    output logic [NP*NB-1:0]       bank_busy,   // PE p finished bank b: bit p*NB + b
    output logic                   m_valid,
    input  wire logic              m_ready,
    output logic [M*O-1:0]         m_data
);
    logic [NP-1:0] done [NB];
    logic [BKW-1:0] ptr;
    logic pop;

    assign m_valid = &done[ptr];
    assign pop = m_valid && m_ready;
    always_comb begin
        for (int p = 0; p < NP; p++)
            for (int b = 0; b < NB; b++) bank_busy[p * NB + b] = done[b][p];
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            ptr <= '0;
            for (int b = 0; b < NB; b++) done[b] <= '0;
        end else begin
            if (pop) begin
                done[ptr] <= '0;
                ptr <= ptr + 1'b1;
            end
            for (int p = 0; p < NP; p++)
                if (res_end[p]) done[res_bank[p * BKW +: BKW]][p] <= 1'b1;
        end
    end

    // A PE never writes a bank while it is leaving: the PE finished that bank
    // (done) and takes it again only after the pop cleared done.
    for (genvar c = 0; c < M; c++) begin : g_ch
        if (WRITTEN[c]) begin : g_reg
            localparam int P = int'(OWNER[c * PIW +: PIW]);
            logic [O-1:0] q [NB];
            logic hit;
            assign hit = res_valid[P] && res_ch[P * CW +: CW] == CW'(c);
            assign m_data[c * O +: O] = q[ptr];
            for (genvar b = 0; b < NB; b++) begin : g_bank
                always_ff @(posedge clk)
                    if (hit && res_bank[P * BKW +: BKW] == BKW'(b)) q[b] <= res_data[P * O +: O];
            end
        end else begin : g_const
            assign m_data[c * O +: O] = INIT[c * O +: O];
        end
    end
endmodule
`default_nettype wire
