// Tritium RTL library: stream FIFO (valid/ready), registers, first-word-fall-through.
// Full throughput: a beat can enter and leave in the same cycle, even when full.
`default_nettype none
module tri_fifo #(
    parameter int W = 8,       // beat width
    parameter int DEPTH = 2    // beats held, >= 1
) (
    input  wire logic         clk,
    input  wire logic         rst_n,
    input  wire logic         s_valid,
    output logic              s_ready,
    input  wire logic [W-1:0] s_data,
    output logic              m_valid,
    input  wire logic         m_ready,
    output logic [W-1:0]      m_data
);
    localparam int AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam int CW = $clog2(DEPTH + 1);
    logic [W-1:0] mem [DEPTH];
    logic [AW-1:0] rd, wr;
    logic [CW-1:0] count;

    wire logic pop = m_valid && m_ready;
    wire logic push = s_valid && s_ready;
    assign m_valid = count != '0;
    assign s_ready = count != CW'(DEPTH) || m_ready;
    assign m_data = mem[rd];

    function automatic logic [AW-1:0] next(input logic [AW-1:0] p);
        return p == AW'(DEPTH - 1) ? '0 : p + 1'b1;
    endfunction

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            rd <= '0;
            wr <= '0;
            count <= '0;
        end else begin
            if (push) wr <= next(wr);
            if (pop) rd <= next(rd);
            if (push && !pop) count <= count + 1'b1;
            else if (pop && !push) count <= count - 1'b1;
        end
    end
    always_ff @(posedge clk) if (push) mem[wr] <= s_data;
endmodule
`default_nettype wire
