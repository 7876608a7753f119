// Tritium RTL library: eager fork. One input stream to N outputs; each output
// takes the beat when it is ready, and the input advances once all have taken it.
`default_nettype none
module tri_fork #(
    parameter int W = 8,
    parameter int N = 2
) (
    input  wire logic         clk,
    input  wire logic         rst_n,
    input  wire logic         s_valid,
    output logic              s_ready,
    input  wire logic [W-1:0] s_data,
    output logic [N-1:0]      m_valid,
    input  wire logic [N-1:0] m_ready,
    output logic [W-1:0]      m_data
);
    logic [N-1:0] taken;
    wire logic [N-1:0] done = taken | (m_valid & m_ready);
    assign m_valid = {N{s_valid}} & ~taken;
    assign s_ready = &done;
    assign m_data = s_data;
    always_ff @(posedge clk) begin
        if (!rst_n || (s_valid && s_ready)) taken <= '0;
        else taken <= done;
    end
endmodule
`default_nettype wire
