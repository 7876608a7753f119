// Tritium RTL library: flatten. Collects the N pixels of a frame (raster order)
// into one beat, pixel p at bits [p*PW +: PW]: the (h, w, c) order of the IR's
// FLATTEN.
`default_nettype none
module tri_gather #(
    parameter int PW = 8,     // pixel width
    parameter int N = 4       // pixels per frame
) (
    input  wire logic            clk,
    input  wire logic            rst_n,
    input  wire logic            s_valid,
    output logic                 s_ready,
    input  wire logic [PW-1:0]   s_data,
    output logic                 m_valid,
    input  wire logic            m_ready,
    output logic [N*PW-1:0]      m_data
);
    localparam int NW = N > 1 ? $clog2(N) : 1;
    logic [NW-1:0] n;
    assign s_ready = !m_valid || m_ready;
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            n <= '0;
            m_valid <= 1'b0;
        end else begin
            if (m_valid && m_ready) m_valid <= 1'b0;
            if (s_valid && s_ready) begin
                if (n == NW'(N - 1)) begin
                    n <= '0;
                    m_valid <= 1'b1;
                end else begin
                    n <= n + 1'b1;
                end
            end
        end
    end
    always_ff @(posedge clk) if (s_valid && s_ready) m_data[n * PW +: PW] <= s_data;
endmodule
`default_nettype wire
