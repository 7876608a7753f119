// Tritium RTL library: UART receiver, 8N1, LSB first. The line is brought into
// the clock domain by two flip-flops; a start bit is confirmed at its middle,
// each data bit and the stop bit sampled at theirs (CLKS_PER_BIT clocks apart).
// `valid` pulses with `data` for a byte whose stop bit is 1; a 0 stop bit
// pulses `err` instead (a break or a corrupted byte) and the receiver waits
// for the line to go idle before looking for the next start bit.
`default_nettype none
module tri_uart_rx #(
    parameter int CLKS_PER_BIT = 50      // clock / baud, >= 4
) (
    input  wire logic       clk,
    input  wire logic       rst_n,
    input  wire logic       rx,
    output logic            valid,
    output logic [7:0]      data,
    output logic            err
);
    localparam int CW = $clog2(CLKS_PER_BIT);
    typedef enum logic [2:0] {IDLE, START, BITS, STOP, BREAK} state_t;
    state_t state;
    logic [1:0] sync;
    logic [CW-1:0] cnt;
    logic [2:0] nbit;
    logic [7:0] shift;
    wire logic line = sync[1];

    always_ff @(posedge clk) begin
        valid <= 1'b0;
        err <= 1'b0;
        if (!rst_n) begin
            sync <= 2'b11;
            state <= IDLE;
            cnt <= '0;
            nbit <= '0;
        end else begin
            sync <= {sync[0], rx};
            if (cnt != '0) begin
                cnt <= cnt - 1'b1;
            end else begin
                unique case (state)
                    IDLE: if (!line) begin
                        state <= START;
                        cnt <= CW'((CLKS_PER_BIT - 1) / 2);
                    end
                    START: begin                      // middle of the start bit
                        state <= line ? IDLE : BITS;  // a glitch is not a start bit
                        cnt <= CW'(CLKS_PER_BIT - 1);
                        nbit <= '0;
                    end
                    BITS: begin
                        shift <= {line, shift[7:1]};
                        cnt <= CW'(CLKS_PER_BIT - 1);
                        nbit <= nbit + 1'b1;
                        if (nbit == 3'd7) state <= STOP;
                    end
                    STOP: begin                       // middle of the stop bit
                        valid <= line;
                        err <= !line;
                        data <= shift;
                        state <= line ? IDLE : BREAK;
                    end
                    BREAK: if (line) state <= IDLE;
                    default: state <= IDLE;
                endcase
            end
        end
    end
endmodule
`default_nettype wire
