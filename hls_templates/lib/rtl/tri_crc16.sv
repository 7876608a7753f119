// Tritium RTL library: one byte of CRC-16/CCITT-FALSE (polynomial 0x1021, MSB
// first; the frame CRC of tritium.board_io.framing). Combinational.
`default_nettype none
module tri_crc16 (
    input  wire logic [15:0] crc,
    input  wire logic [7:0]  data,
    output logic      [15:0] next
);
    always_comb begin
        next = crc;
        for (int i = 7; i >= 0; i--)
            next = {next[14:0], 1'b0} ^ ((next[15] ^ data[i]) ? 16'h1021 : 16'h0000);
    end
endmodule
`default_nettype wire
