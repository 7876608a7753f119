// Tritium RTL library: UART transmitter, 8N1, LSB first. Takes a byte when
// idle (`s_ready`), then drives start bit, 8 data bits and stop bit for
// CLKS_PER_BIT clocks each; the line idles high, also in reset.
`default_nettype none
module tri_uart_tx #(
    parameter int CLKS_PER_BIT = 50      // clock / baud, >= 2
) (
    input  wire logic       clk,
    input  wire logic       rst_n,
    input  wire logic       s_valid,
    output logic            s_ready,
    input  wire logic [7:0] s_data,
    output logic            tx
);
    localparam int CW = $clog2(CLKS_PER_BIT);
    logic [9:0] shift;          // stop, data[7:0], start; shifted out LSB first
    logic [3:0] left;           // bits still to send, the current one included
    logic [CW-1:0] cnt;

    assign s_ready = left == '0;
    assign tx = shift[0];       // a register; all ones once a byte is out

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            left <= '0;
            cnt <= '0;
            shift <= '1;
        end else if (left == '0) begin
            if (s_valid) begin
                shift <= {1'b1, s_data, 1'b0};
                left <= 4'd10;
                cnt <= CW'(CLKS_PER_BIT - 1);
            end
        end else if (cnt != '0) begin
            cnt <= cnt - 1'b1;
        end else begin
            shift <= {1'b1, shift[9:1]};
            left <= left - 1'b1;
            cnt <= CW'(CLKS_PER_BIT - 1);
        end
    end
endmodule
`default_nettype wire
