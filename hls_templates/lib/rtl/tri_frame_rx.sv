// Tritium RTL library: frame receiver of the board wrapper. Parses the bytes of
// a UART receiver as tritium.board_io.framing defines them (the same state
// machine as its `Deframer`: a flag opens a frame and closes the previous one;
// a frame is accepted only when a flag follows exactly 5 + LEN + 2 unstuffed
// bytes of kind KIND and length LEN whose CRC-16 checks), stores the payload
// of an accepted frame, and only then streams it out as BEATS beats of TW bits
// (byte j of a beat at TDATA[8j +: 8], TLAST on the last), with the frame's
// sequence number on the `q_*` port as the frame starts. Nothing of a rejected
// frame ever reaches m_*.
//
// Two payload buffers: one fills from the line while the other drains, so a
// host that keeps at most two frames unanswered never finds both taken. A
// frame that arrives while both are taken is dropped (as are a UART framing
// error inside a frame and every rejection above); `dropped` pulses once per
// dropped frame, `accepted` once per accepted one.
`default_nettype none
module tri_frame_rx #(
    parameter int TW = 8,                  // TDATA bits, a byte multiple
    parameter int BEATS = 1,               // beats per frame
    parameter logic [7:0] KIND = 8'h51
) (
    input  wire logic          clk,
    input  wire logic          rst_n,
    input  wire logic          b_valid,    // a byte from the UART receiver
    input  wire logic [7:0]    b_data,
    input  wire logic          b_err,      // a byte whose stop bit was 0
    output logic [TW-1:0]      m_tdata,
    output logic               m_tvalid,
    input  wire logic          m_tready,
    output logic               m_tlast,
    output logic               q_valid,    // the sequence number of the frame about to stream
    input  wire logic          q_ready,
    output logic [7:0]         q_seq,
    output logic               accepted,
    output logic               dropped
);
    localparam int BB = TW / 8;
    localparam int LEN = BEATS * BB;               // payload bytes
    localparam int NB = 5 + LEN + 2;               // unstuffed bytes between the flags
    localparam int AW = LEN > 1 ? $clog2(LEN) : 1;
    localparam int NW = $clog2(NB + 1);
    localparam int BW = BEATS > 1 ? $clog2(BEATS) : 1;
    localparam int CW = BB > 1 ? $clog2(BB) : 1;
    localparam logic [7:0] FLAG = 8'h7E;
    localparam logic [7:0] ESC = 8'h7D;

    // ---- parser
    logic hunting, esc;            // hunting: between a rejected frame and the next flag
    logic [NW-1:0] n;              // unstuffed bytes of the frame so far
    logic [15:0] crc, crc_next;
    logic [7:0] seq, len_lo;
    logic [1:0] full;              // buffer b holds an accepted frame not yet streamed
    logic [7:0] seq_of [2];
    logic wsel, rsel;              // the buffer the parser fills; the one streamed next
    wire logic [7:0] body = esc ? b_data ^ 8'h20 : b_data;
    wire logic escaped_ok = body == FLAG || body == ESC;
    wire logic in_payload = n >= NW'(5) && n < NW'(5 + LEN);
    // payload bytes go to buffer wsel as they come (it is free: checked at the length byte)
    wire logic we = b_valid && !b_err && !hunting && b_data != FLAG && (esc || b_data != ESC)
                    && (!esc || escaped_ok) && in_payload;
    wire logic [AW-1:0] waddr = AW'(n - NW'(5));
    tri_crc16 u_crc (.crc(crc), .data(body), .next(crc_next));

    logic [7:0] mem [2 << AW];
    always_ff @(posedge clk) begin
        if (we) mem[{wsel, waddr}] <= body;
    end

    // A flag after exactly NB bytes whose CRC checks accepts the frame into buffer wsel.
    wire logic flag = b_valid && !b_err && b_data == FLAG;
    wire logic accept = flag && !hunting && !esc && n == NW'(NB) && crc == '0;
    wire logic release_buf;       // the drain has streamed buffer rsel

    always_ff @(posedge clk) begin
        accepted <= accept;
        dropped <= 1'b0;
        if (!rst_n) begin
            hunting <= 1'b1;
            esc <= 1'b0;
            n <= '0;
            crc <= '1;
            wsel <= 1'b0;
            full <= '0;
        end else begin
            full <= (full | (accept ? 2'(1) << wsel : 2'b00)) & ~(release_buf ? 2'(1) << rsel : 2'b00);
            if (b_err) begin
                if (!hunting) begin
                    hunting <= 1'b1;
                    dropped <= 1'b1;
                end
            end else if (flag) begin                  // closes a frame, opens the next
                if (accept) begin
                    seq_of[wsel] <= seq;
                    wsel <= !wsel;
                end else if (!hunting && (n != '0 || esc)) begin
                    dropped <= 1'b1;
                end
                hunting <= 1'b0;
                esc <= 1'b0;
                n <= '0;
                crc <= '1;
            end else if (b_valid && !hunting) begin
                if (!esc && b_data == ESC) begin
                    esc <= 1'b1;
                end else if ((esc && !escaped_ok) || n == NW'(NB)   // bad escape; too long
                             || (n == NW'(0) && body != KIND)
                             || (n == NW'(4) && ({body, len_lo} != 16'(LEN) || full[wsel]))) begin
                    hunting <= 1'b1;
                    dropped <= 1'b1;
                end else begin
                    esc <= 1'b0;
                    n <= n + 1'b1;
                    crc <= crc_next;
                    if (n == NW'(1)) seq <= body;
                    if (n == NW'(3)) len_lo <= body;
                end
            end
        end
    end

    // ---- drain: an accepted buffer, byte by byte (synchronous read), into beats
    typedef enum logic [1:0] {D_IDLE, D_FETCH, D_LOAD, D_SEND} drain_t;
    drain_t dstate;
    logic [AW-1:0] rptr;
    logic [CW-1:0] nbyte;
    logic [BW-1:0] nbeat;
    logic [7:0] rdata;

    assign q_valid = dstate == D_IDLE && full[rsel];
    assign q_seq = seq_of[rsel];
    assign m_tvalid = dstate == D_SEND;
    assign m_tlast = nbeat == BW'(BEATS - 1);

    always_ff @(posedge clk) begin
        if (dstate == D_FETCH) rdata <= mem[{rsel, rptr}];
    end

    assign release_buf = dstate == D_SEND && m_tready && m_tlast;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            dstate <= D_IDLE;
            rsel <= 1'b0;
        end else begin
            unique case (dstate)
                D_IDLE: if (q_valid && q_ready) begin
                    dstate <= D_FETCH;
                    rptr <= '0;
                    nbyte <= '0;
                    nbeat <= '0;
                end
                D_FETCH: dstate <= D_LOAD;
                D_LOAD: begin
                    m_tdata <= TW'({rdata, m_tdata} >> 8);
                    rptr <= rptr + 1'b1;
                    nbyte <= nbyte == CW'(BB - 1) ? '0 : nbyte + 1'b1;
                    dstate <= nbyte == CW'(BB - 1) ? D_SEND : D_FETCH;
                end
                D_SEND: if (m_tready) begin
                    nbeat <= nbeat + 1'b1;
                    if (m_tlast) begin
                        rsel <= !rsel;
                        dstate <= D_IDLE;
                    end else begin
                        dstate <= D_FETCH;
                    end
                end
                default: dstate <= D_IDLE;
            endcase
        end
    end
endmodule
`default_nettype wire
