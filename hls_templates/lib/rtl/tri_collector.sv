// Tritium RTL library: output collector of a Conv/Dense engine. NB banks of one
// output pixel each (M channels); PEs write their rows' results into the bank of
// their pixel and mark it done; a bank leaves, channels in order, once every PE
// is done with it, and is reset to INIT (requant(0) for rows without items).
`default_nettype none
module tri_collector #(
    parameter int NP = 1,
    parameter int M = 1,
    parameter int O = 8,
    parameter int CW = 1,
    parameter int NB = 4,
    parameter int BKW = 2,
    parameter logic [M*O-1:0] INIT = '0
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
    logic [M*O-1:0] data [NB];
    logic [NP-1:0] done [NB];
    logic [BKW-1:0] ptr;

    assign m_valid = &done[ptr];
    assign m_data = data[ptr];
    always_comb begin
        for (int p = 0; p < NP; p++)
            for (int b = 0; b < NB; b++) bank_busy[p * NB + b] = done[b][p];
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            ptr <= '0;
            for (int b = 0; b < NB; b++) begin
                done[b] <= '0;
                data[b] <= INIT;
            end
        end else begin
            if (m_valid && m_ready) begin
                done[ptr] <= '0;
                data[ptr] <= INIT;
                ptr <= ptr + 1'b1;
            end
            for (int p = 0; p < NP; p++) begin
                if (res_valid[p])
                    data[res_bank[p * BKW +: BKW]][res_ch[p * CW +: CW] * O +: O] <= res_data[p * O +: O];
                if (res_end[p]) done[res_bank[p * BKW +: BKW]][p] <= 1'b1;
            end
        end
    end
endmodule
`default_nettype wire
