// Tritium RTL library: frame transmitter of the board wrapper. Turns each
// frame of BEATS output beats (TW bits, byte j of a beat from TDATA[8j +: 8])
// into one reply frame of tritium.board_io.framing: flag, KIND, the sequence
// number from the q_* port, the frames dropped since the previous reply
// (`drop` pulses, saturating at 255), the length, the payload, CRC-16, flag;
// every FLAG or ESC byte between the flags escaped. Bytes go out on m_* to a
// UART transmitter. A reply starts once its sequence number and its first beat
// are both there, so its bytes leave back to back. `align_err` is sticky: a
// TLAST that disagreed with the beat count (never, if the design keeps frames).
`default_nettype none
module tri_frame_tx #(
    parameter int TW = 8,
    parameter int BEATS = 1,
    parameter logic [7:0] KIND = 8'h52
) (
    input  wire logic          clk,
    input  wire logic          rst_n,
    input  wire logic [TW-1:0] s_tdata,
    input  wire logic          s_tvalid,
    output logic               s_tready,
    input  wire logic          s_tlast,
    input  wire logic          q_valid,
    output logic               q_ready,
    input  wire logic [7:0]    q_seq,
    input  wire logic          drop,
    output logic               m_valid,
    input  wire logic          m_ready,
    output logic [7:0]         m_data,
    output logic               sent,        // pulses as a reply's closing flag leaves
    output logic               align_err
);
    localparam int BB = TW / 8;
    localparam int LEN = BEATS * BB;
    localparam int BW = BEATS > 1 ? $clog2(BEATS) : 1;
    localparam int CW = BB > 1 ? $clog2(BB) : 1;
    localparam logic [7:0] FLAG = 8'h7E;
    localparam logic [7:0] ESC = 8'h7D;
    localparam logic [15:0] LEN16 = 16'(LEN);

    typedef enum logic [3:0] {IDLE, OPEN, KIND_B, SEQ_B, STATUS_B, LEN_LO, LEN_HI, PAYLOAD,
                              CRC_HI, CRC_LO, CLOSE} state_t;
    state_t state;
    logic [7:0] seq, status, drops;
    logic [15:0] crc, crc_next;
    logic [CW-1:0] nbyte;
    logic [BW-1:0] nbeat;
    logic esc_half;                 // the ESC of an escaped byte has gone; its second half is due
    logic [7:0] body;               // the unstuffed byte due in a body state

    always_comb begin
        unique case (state)
            KIND_B:   body = KIND;
            SEQ_B:    body = seq;
            STATUS_B: body = status;
            LEN_LO:   body = LEN16[7:0];
            LEN_HI:   body = LEN16[15:8];
            PAYLOAD:  body = s_tdata[8 * nbyte +: 8];
            CRC_HI:   body = crc[15:8];
            CRC_LO:   body = crc[7:0];
            default:  body = FLAG;
        endcase
    end
    tri_crc16 u_crc (.crc(crc), .data(body), .next(crc_next));

    wire logic framing = state == OPEN || state == CLOSE;
    wire logic needs_esc = !framing && (body == FLAG || body == ESC);
    assign m_valid = state != IDLE && (state != PAYLOAD || s_tvalid);
    assign m_data = framing ? FLAG : esc_half ? body ^ 8'h20 : needs_esc ? ESC : body;
    // a body byte is done when its last wire byte goes
    wire logic done = m_valid && m_ready && !framing && (esc_half || !needs_esc);
    assign s_tready = state == PAYLOAD && done && nbyte == CW'(BB - 1);
    assign q_ready = state == IDLE && s_tvalid;

    always_ff @(posedge clk) begin
        sent <= 1'b0;
        if (!rst_n) begin
            state <= IDLE;
            drops <= '0;
            esc_half <= 1'b0;
            align_err <= 1'b0;
        end else begin
            if (state == IDLE && q_valid && s_tvalid) begin
                drops <= {7'b0, drop};
                status <= drops;
                seq <= q_seq;
                crc <= '1;
                nbyte <= '0;
                nbeat <= '0;
                state <= OPEN;
            end else if (drop && drops != 8'hFF) begin
                drops <= drops + 1'b1;
            end
            if (m_valid && m_ready) begin
                if (framing) begin
                    sent <= state == CLOSE;
                    state <= state == OPEN ? KIND_B : IDLE;
                end else if (!done) begin
                    esc_half <= 1'b1;
                end else begin
                    esc_half <= 1'b0;
                    if (state != CRC_HI && state != CRC_LO) crc <= crc_next;
                    if (state == PAYLOAD) begin
                        nbyte <= nbyte == CW'(BB - 1) ? '0 : nbyte + 1'b1;
                        if (nbyte == CW'(BB - 1)) begin
                            nbeat <= nbeat + 1'b1;
                            if (s_tlast != (nbeat == BW'(BEATS - 1))) align_err <= 1'b1;
                            if (nbeat == BW'(BEATS - 1)) state <= CRC_HI;
                        end
                    end else begin
                        state <= state_t'(state + 1'b1);
                    end
                end
            end
        end
    end
endmodule
`default_nettype wire
